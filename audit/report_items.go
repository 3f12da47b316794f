package audit

import (
	"sort"
)

// block counts n of a blocked item. Items of the prefix creation are kept
// apart from the game's and marked with their stage.
func (b *builder) block(set *itemSet, st *stageSet, key string, item BlockedItem, n int) {
	item.Stage = b.stageName(st)
	set.add(item.Stage+"\x00"+key, item, n)
}

// itemSet counts blocked items by key.
type itemSet struct {
	items map[string]*BlockedItem
	// floor holds counts from a summary event, which may exceed the count
	// of single events because those are logged once per process or path.
	floor map[string]int
}

func newItemSet() *itemSet {
	return &itemSet{items: map[string]*BlockedItem{}, floor: map[string]int{}}
}

// add counts n more of the item with key, creating it from item. The first
// item's texts are kept, except that empty ones are filled in later.
func (s *itemSet) add(key string, item BlockedItem, n int) {
	cur := s.item(key, item)
	cur.Count += n
}

// atLeast records that the item with key was blocked at least n times in
// total. Floors from several summaries add up.
func (s *itemSet) atLeast(key string, item BlockedItem, n int) {
	s.item(key, item)
	s.floor[key] += n
}

func (s *itemSet) item(key string, item BlockedItem) *BlockedItem {
	cur := s.items[key]
	if cur == nil {
		item.Count = 0
		s.items[key] = &item
		return &item
	}
	fill(&cur.Rule, item.Rule)
	fill(&cur.Detail, item.Detail)
	fill(&cur.Domain, item.Domain)
	fill(&cur.Decision, item.Decision)
	return cur
}

func fill(dst *string, value string) {
	if *dst == "" {
		*dst = value
	}
}

func (s *itemSet) sorted() []BlockedItem {
	keys := make([]string, 0, len(s.items))
	for k := range s.items {
		keys = append(keys, k)
	}
	out := make([]BlockedItem, 0, len(keys))
	counts := make(map[string]int, len(keys))
	for _, k := range keys {
		item := *s.items[k]
		item.Count = max(item.Count, s.floor[k])
		counts[k] = item.Count
	}
	sort.Slice(keys, func(i, j int) bool {
		a, c := counts[keys[i]], counts[keys[j]]
		if a != c {
			return a > c
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		item := *s.items[k]
		item.Count = counts[k]
		out = append(out, item)
	}
	return out
}

func sortedPrograms(m map[string]*Program) []Program {
	out := make([]Program, 0, len(m))
	for _, p := range m {
		q := *p
		if q.Rules == nil {
			q.Rules = []string{}
		}
		sort.Strings(q.Rules)
		if q.Argv == nil {
			q.Argv = []string{}
		}
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool {
		a, c := out[i].Allowed+out[i].Denied, out[j].Allowed+out[j].Denied
		if a != c {
			return a > c
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func sortedSet(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// countField returns the number in f[key], or 1 when there is none, because
// an event without a count records one refusal.
func countField(f map[string]any, key string) int {
	if n, ok := fieldNumber(f, key); ok && n > 0 {
		return int(n)
	}
	return 1
}
