#!/usr/bin/env bash
# Runs a Windows program that attacks the user's files under WineWarden and
# shows, checked on the host, that the attacks did not reach the real files.
#
# Usage: scripts/demo.sh   (after `make deps build`, or simply `make demo`)
#
# Everything happens under build/demo/, which each run starts afresh. It
# contains a throwaway home with a fake SSH key and a .bashrc planted as the
# "real" secrets, and the game directory with probe.exe, built from
# testdata/pe/probe.c. WineWarden keeps the Wine prefix and the session logs
# in that home. The script exits with 1 if any protection did not hold or an
# attack could not be run, and with 2 if a tool is missing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
demo=$root/build/demo
winewarden=$root/bin/winewarden

die() {
    echo "demo: $*" >&2
    exit 2
}

[ -x "$winewarden" ] || die "$winewarden not found: run 'make build' first"
command -v x86_64-w64-mingw32-gcc >/dev/null || die "x86_64-w64-mingw32-gcc not found: run 'make deps'"
if command -v wine >/dev/null; then
    wine=$(command -v wine)
elif [ -x /usr/lib/wine/wine64 ]; then
    wine=/usr/lib/wine/wine64
else
    die "wine not found: run 'make deps'"
fi

if [ "$(id -u)" = 0 ]; then
    echo "Note: running as root. The sandbox works for root as well, but the integration"
    echo "tests run it as an unprivileged user; run this script as one to see that case."
    echo
fi

# --- A throwaway home with the secrets that must stay out of reach ----------

rm -rf "$demo"
mkdir -p "$demo/game" "$demo/home/.ssh" "$demo/runs"
x86_64-w64-mingw32-gcc -O1 -o "$demo/game/probe.exe" "$root/testdata/pe/probe.c" -lws2_32 -lshell32

secret=DEMO-REAL-SECRET-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$secret" >"$demo/home/.ssh/id_rsa"
chmod 700 "$demo/home/.ssh"
chmod 600 "$demo/home/.ssh/id_rsa"
printf '# demo shell startup file\nexport DEMO_EDITOR=vi\n' >"$demo/home/.bashrc"
bashrc_before=$(sha256sum <"$demo/home/.bashrc")
marker=$demo/outside-marker

export HOME=$demo/home
export XDG_CONFIG_HOME=$HOME/.config XDG_DATA_HOME=$HOME/.local/share
export XDG_STATE_HOME=$HOME/.local/state XDG_CACHE_HOME=$HOME/.cache
# The probe is a console program, so it needs none of the sound, display or
# user bus sockets that WineWarden would look for under XDG_RUNTIME_DIR.
unset XDG_RUNTIME_DIR WINEPREFIX
export WINEDEBUG=-all
# Keeps wineboot from offering to download Mono and Gecko.
export WINEDLLOVERRIDES="mscoree,mshtml="

# The demo makes no DNS lookups. Naming a resolver keeps the forwarder off
# the host's resolvers anyway, and lets restrict mode start on a machine
# whose /etc/resolv.conf names none.
mkdir -p "$XDG_CONFIG_HOME/winewarden"
printf '[network]\ndns_servers = ["127.0.0.1:9"]\n' >"$XDG_CONFIG_HOME/winewarden/config.toml"

win_home="Z:${HOME//\//\\}"
probe=$demo/game/probe.exe

echo "Demo home: $HOME"
echo "  planted ~/.ssh/id_rsa containing $secret"
echo "  planted ~/.bashrc"
echo

echo "Preparing: the first run creates the game's Wine prefix (about 10 s)."
"$winewarden" run -- "$wine" "$probe" exit 0 >/dev/null
echo

# --- The attacks -------------------------------------------------------------

count=0
titles=()
results=()
reasons=()
logs=()
failed=0
# Extra flags for `winewarden run` in the next attack.
run_flags=()

# Runs probe.exe with the given arguments in the sandbox, prints its stdout
# and the stderr of the wrapper and the sandboxed programs, and stores them as
# runs/<n>.out and runs/<n>.err.
attack() {
    local title=$1
    shift
    count=$((count + 1))
    local out=$demo/runs/$count.out err=$demo/runs/$count.err status=0

    echo "=== Attack $count: $title"
    echo "    probe.exe $*"
    "$winewarden" run "${run_flags[@]}" -- "$wine" "$probe" "$@" >"$out" 2>"$err" || status=$?
    sed 's/^/    | /' "$out"
    sed 's/^/    stderr: /' "$err"
    echo "    exit status $status"
    echo

    # The wrapper's "session started" line ends with log=PATH, which slog's
    # text format quotes when PATH contains spaces.
    logs[count]=$(sed -n 's/.*msg="session started".* log=//p' "$err" | head -n 1 | sed 's/^"\(.*\)"$/\1/')
    titles[count]=$title
}

# Records the outcome of the last attack.
verdict() {
    results[count]=$1
    reasons[count]=$2
    if [ "$1" != held ]; then
        failed=1
    fi
}

# Checks what every attack must show: the probe ran, and the real secret is in
# neither its stdout nor the stderr of the run.
ran_clean() {
    local out=$demo/runs/$count.out err=$demo/runs/$count.err
    if grep -qF "$secret" "$out" "$err"; then
        verdict LEAKED "the real secret appeared in the output"
        return 1
    fi
    if ! grep -qE '^(OK|FAIL) ' "$out"; then
        verdict "NOT RUN" "the probe printed no result line; see the stderr lines above"
        return 1
    fi
}

# Records the outcome of an attack that reads ~/.ssh/id_rsa.
judge_read() {
    local out=$demo/runs/$count.out
    ran_clean || return 0
    if grep -q WINEWARDEN-DECOY "$out"; then
        if [ -n "${logs[count]}" ] && grep -q '"kind":"sensitive_access"' "${logs[count]}" 2>/dev/null; then
            verdict held "got a decoy key from the virtual home; the session log recorded the open"
        else
            verdict held "got a decoy key from the virtual home, but the session log has no sensitive_access event"
        fi
    elif grep -q '^FAIL' "$out"; then
        verdict held "the read failed: $(grep -m1 '^FAIL' "$out" | grep -o '\(error\|errno\)=[0-9]*')"
    else
        verdict held "the real key was not in the output"
    fi
}

attack "read the SSH key through drive Z:" read "$win_home\\.ssh\\id_rsa"
judge_read

attack "read the SSH key through a \\\\?\\unix path" read "\\\\?\\unix$HOME/.ssh/id_rsa"
judge_read

attack "read the SSH key with raw Linux syscalls" rawread "$HOME/.ssh/id_rsa"
judge_read

attack "list other users' homes" list 'Z:\home'
if ran_clean; then
    # A name on the way to the demo directory can show up, because the
    # sandbox creates the parents of its mount points. Any other entry of the
    # host's /home would be a leak.
    leaked=""
    for entry in /home/*; do
        name=$(basename "$entry")
        [ -e "$entry" ] || continue
        case "$demo/" in "/home/$name/"*) continue ;; esac
        if grep -qxF "OK entry $name" "$demo/runs/$count.out"; then
            leaked="$leaked $name"
        fi
    done
    if [ -n "$leaked" ]; then
        verdict LEAKED "the listing showed host entries:$leaked"
    elif grep -q '^FAIL' "$demo/runs/$count.out"; then
        verdict held "/home does not exist in the sandbox's mount view"
    else
        shown=$(sed -n 's/^OK entry //p' "$demo/runs/$count.out" | paste -sd' ' -)
        verdict held "the listing showed only ${shown:-nothing}, on the way to the sandbox's own mounts"
    fi
fi

attack "append a command to ~/.bashrc" append "$win_home\\.bashrc" "echo pwned-by-demo"
if ran_clean; then
    if [ "$(sha256sum <"$HOME/.bashrc")" != "$bashrc_before" ]; then
        verdict FAILED "the real ~/.bashrc changed"
    elif grep -q '^OK append' "$demo/runs/$count.out"; then
        landed=$(grep -lF pwned-by-demo "$XDG_DATA_HOME"/winewarden/virtual/*/home/.bashrc 2>/dev/null | head -n 1 || true)
        verdict held "the write went to the game's virtual home${landed:+: ${landed#"$HOME"/}}"
    else
        verdict held "the write failed and the real ~/.bashrc is unchanged"
    fi
fi

# `start /unix` runs a Linux program from Windows code. /wait keeps the probe
# running until the shell has exited.
attack "start a Linux shell that writes outside" exec "cmd /c start /wait /unix /bin/sh -c \"echo pwned > $marker\""
if ran_clean; then
    if [ -e "$marker" ]; then
        verdict FAILED "the shell created $marker on the host"
    else
        shell_error=$(grep -m1 -F "cannot create $marker" "$demo/runs/$count.err" | sed 's/.*: //' || true)
        if [ -n "$shell_error" ]; then
            verdict held "the shell ran in the sandbox, where creating the marker failed: $shell_error"
        elif [ -n "${logs[count]}" ] && grep '"kind":"process"' "${logs[count]}" 2>/dev/null | grep -q '"decision":"deny"'; then
            verdict held "the supervisor blocked the program start (see the process event below); no marker on the host"
        else
            verdict held "no marker on the host; the shell either did not run or wrote inside the sandbox"
        fi
    fi
fi

# A stealer that read its server's address from a "dead drop" connects to
# that raw address. Restrict mode allows only addresses that an answer for
# an allowed name produced, and no name is allowed here.
run_flags=(--network restrict)
attack "connect to a raw IP address (restrict mode)" tcp 127.0.0.1 9 beacon
run_flags=()
if ran_clean; then
    if grep -q '^OK tcp' "$demo/runs/$count.out"; then
        verdict FAILED "the connection was made"
    elif [ -n "${logs[count]}" ] && grep '"kind":"network"' "${logs[count]}" 2>/dev/null | grep -q '"decision":"deny"'; then
        verdict held "the supervisor refused the connection (see the network_anomaly event below)"
    else
        verdict FAILED "the connection failed, but no denied network event was logged"
    fi
fi

# The decoy reads above cost probe.exe its trust: a sensitive-access attempt
# drops a game to the red tier at once, and the red tier runs offline.
attack "phone home after the decoy reads (red tier)" tcp 127.0.0.1 9 beacon
if ran_clean; then
    log=${logs[count]}
    if grep -q '^OK tcp' "$demo/runs/$count.out"; then
        verdict FAILED "the connection was made"
    elif [ -n "$log" ] && grep '"kind":"trust"' "$log" 2>/dev/null | grep -q '"tier":"red"' &&
        grep '"kind":"session_start"' "$log" | grep -q '"network_mode":"offline"'; then
        verdict held "the game ran in the red tier, offline, so the connection failed"
    else
        verdict FAILED "the run was not in the red tier's offline mode"
    fi
fi

# --- Summary -----------------------------------------------------------------

echo "=== Summary (checked on the host after the runs)"
printf '%-3s %-48s %-8s %s\n' "#" "attack" "result" "why"
for ((i = 1; i <= count; i++)); do
    printf '%-3s %-48s %-8s %s\n' "$i" "${titles[i]}" "${results[i]}" "${reasons[i]}"
done
echo

# --- What the session logs recorded ------------------------------------------

# Prints the events of one session log that have one of the given kinds, one
# line each, with jq, python3 or, as a last resort, grep.
show_events() {
    local log=$1
    shift
    local kinds
    kinds=,$(printf '%s,' "$@")
    if command -v jq >/dev/null; then
        jq -r --arg kinds "$kinds" '
            select(("," + .kind + ",") as $k | $kinds | contains($k))
            | select(.kind != "process" or .decision == "deny")
            | [ .time[11:23],
                .kind,
                (.layer // .rule // ""),
                (if .in_force == null then "" elif .in_force then "in force" else "NOT in force" end),
                (.path // .target // ""),
                (.detail // ""),
                (if .fields.opens then (.fields.opens | tostring) else "" end)
              ] | map(select(. != "")) | join("  ")' "$log"
    elif command -v python3 >/dev/null; then
        python3 -c '
import json, sys
kinds = set(sys.argv[2].split(","))
for line in open(sys.argv[1]):
    event = json.loads(line)
    if event.get("kind") not in kinds:
        continue
    if event["kind"] == "process" and event.get("decision") != "deny":
        continue
    in_force = event.get("in_force")
    parts = [event.get("time", "")[11:23], event["kind"], event.get("layer") or event.get("rule") or "",
             "" if in_force is None else ("in force" if in_force else "NOT in force"),
             event.get("path") or event.get("target", ""), event.get("detail", ""),
             json.dumps(event.get("fields", {}).get("opens", "")) if "opens" in event.get("fields", {}) else ""]
    print("  ".join(p for p in parts if p))
' "$log" "$kinds"
    else
        grep -E "\"kind\":\"($(IFS='|'; echo "$*"))\"" "$log" || true
    fi
}

echo "=== Session log events"
first_log=""
for ((i = 1; i <= count; i++)); do
    if [ -n "${logs[i]}" ] && [ -f "${logs[i]}" ]; then
        first_log=${logs[i]}
        break
    fi
done
if [ -n "$first_log" ]; then
    echo "Protection layers of the first attack's session, $first_log:"
    show_events "$first_log" layer | sed 's/^/    /'
fi
for ((i = 1; i <= count; i++)); do
    echo "Attack $i: ${titles[i]}"
    if [ -z "${logs[i]}" ] || [ ! -f "${logs[i]}" ]; then
        echo "    (no session log)"
        continue
    fi
    events=$(show_events "${logs[i]}" sensitive_access denial process policy_race network_anomaly)
    if [ -n "$events" ]; then
        printf '%s\n' "$events" | sed 's/^/    /'
    else
        echo "    (no sensitive_access, denial, blocked program or policy_race events)"
    fi
done
echo
echo "Session logs: $XDG_STATE_HOME/winewarden/sessions/"
echo

echo "=== Trust state of probe.exe (winewarden trust show probe)"
"$winewarden" trust show probe | sed 's/^/    /'
echo
echo "=== Report of attack 1's session (winewarden report SESSION)"
first_session=$(basename "${logs[1]:-none}" .jsonl)
"$winewarden" report "$first_session" | sed 's/^/    /' || echo "    (no report: the session log is missing)"
echo

if [ "$failed" != 0 ]; then
    echo "demo: at least one protection did not hold or an attack did not run; see the summary above" >&2
    exit 1
fi
echo "All ${count} attacks were contained."
