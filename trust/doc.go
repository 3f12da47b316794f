// Package trust scores how far each game can be trusted and keeps that score
// in the game's own Wine prefix.
//
// A game earns its score from what it did in its sessions. Tally counts the
// audit events of one session: sensitive-access attempts, network anomalies,
// programs the game's Windows tree started, and denials. Apply turns those
// counts into score changes, each with its reason. The score places the game
// in a tier (red, yellow or green), and the tier selects the policy profile
// of the next run (see policy.Resolve).
//
// The state is a versioned JSON file, <prefix>/.winewarden/trust.json (for
// Steam, compatdata/<appid>/.winewarden/trust.json, beside the prefix). It is
// authenticated with HMAC-SHA256 under a key that lives in WineWarden's data
// directory, which no sandbox can see, and the wrapper hides the .winewarden
// directory from the game. A state that fails its check is treated as the
// default tier, never as a better one. The index games.json in the data
// directory also records each game's last tier, and a run never gets a
// better one, so putting back an older copy of the state cannot undo a drop
// to red.
//
// The package assumes one writer per state file at a time: callers hold the
// file's lock (Store.Update) across a read-modify-write.
package trust
