// Package wrapper runs one launch of a game. It identifies the game, loads
// the policy and the game's trust state, applies the profile of the game's
// trust tier, prepares the prefix and the per-game virtual home, and
// describes the sandbox as a sandbox.Spec. It then starts the sandbox,
// watches the decoys, writes the session log, scores the session into the
// trust state, and passes the target's exit status through. It also
// implements the status, report and trust commands.
//
// Everything the sandbox could have changed since the last run (the virtual
// home, the prefix) is opened on the host side without following symlinks,
// so a link planted by a game never redirects the wrapper into the real home.
package wrapper
