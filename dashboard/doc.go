// Package dashboard is the terminal UI of `winewarden monitor`: it follows a
// running session on its live socket, or replays a finished one from its
// session log, and shows what the game does.
//
// State is the part without a terminal: a pure reducer that turns the
// session's audit events into what the screens show (processes,
// destinations, DNS queries, denials, an event log and the event rate). It
// keeps every list bounded, so a long or hostile session cannot grow the
// monitor's memory without limit. Model is the bubbletea model on top of
// it: five screens, keys, a filter for the event log and a pause.
// Feed turns the live socket (Follow), a session log (Replay) or the wait
// for a session to start (Wait) into messages for Model, at most 20 per
// second. Picker lists the running sessions when several run, for the
// user to choose one.
package dashboard
