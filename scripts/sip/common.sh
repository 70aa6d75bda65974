# Shared by scripts/sip/trunk-up, sipp-uas and phone-up (sourced, not run). See README.md.
#
# Conventions (the same as scripts/smsc/): the first stdout line is `READY name=port ...` once
# every socket is bound; everything binds to 127.0.0.1; ports are free ones unless given;
# files live in a work directory (a fresh temp dir, removed on exit, unless --workdir is
# given); SIGTERM, SIGINT or SIGHUP stop the launcher and everything it started; if the
# launcher is SIGKILLed its peer gets SIGTERM from the kernel (PR_SET_PDEATHSIG); if the
# launcher's parent goes away, the launcher stops too.

sip_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sip_name=$(basename "$0")

sip_log() { echo "$sip_name: $*" >&2; }
sip_die() { sip_log "$*"; exit 1; }

# A launcher started with SIGTERM/SIGINT/SIGHUP blocked or ignored (a parent's blocked signal
# mask is inherited through fork and exec; `cmd &` in a script ignores SIGINT) could neither
# be stopped nor trap them: bash cannot trap a signal ignored on entry. Re-exec once through
# spawn.py, which clears the mask and restores default dispositions (same pid).
sip_reset_signals() {
  if [ -n "${TANDEM_SIP_SIGNALS_RESET:-}" ]; then
    unset TANDEM_SIP_SIGNALS_RESET
    return 0
  fi
  local key val blk=0 ign=0 watched=$(((1 << 0) | (1 << 1) | (1 << 14))) # HUP INT TERM
  while read -r key val; do
    case $key in
      SigBlk:) blk=$((16#$val)) ;;
      SigIgn:) ign=$((16#$val)) ;;
    esac
  done </proc/$$/status
  if (((blk | ign) & watched)); then
    export TANDEM_SIP_SIGNALS_RESET=1
    exec python3 "$sip_dir/spawn.py" -- "$BASH" "$0" "$@"
  fi
}

# Port P is free for both TCP and UDP on 127.0.0.1 (nothing bound there).
sip_port_free() {
  python3 - "$1" <<'EOF'
import socket, sys
port = int(sys.argv[1])
for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
EOF
}

# Prints N free base ports (one line, space-separated) such that base..base+SPAN-1 are free for
# TCP and UDP on 127.0.0.1, none overlapping; EXCLUDE (space-separated) ports are avoided.
# All are held until every one is found, then released before printing (fine on a test
# machine). Call it as $(sip_free_ports ...), which waits for it to exit: with < <(...) the
# helper could still hold the ports when the peer tries to bind them.
sip_free_ports() {
  python3 - "$1" "$2" "${3:-}" <<'EOF'
import socket, sys
count, span = int(sys.argv[1]), int(sys.argv[2])
exclude = {int(p) for p in sys.argv[3].split()}
held, bases = [], []
def grab(port):
    got = []
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            s.close()
            for g in got:
                g.close()
            return None
        got.append(s)
    return got
for _ in range(2000):
    if len(bases) == count:
        break
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    base = probe.getsockname()[1]
    probe.close()
    if base + span > 65535 or any(p in exclude for p in range(base, base + span)):
        continue
    socks = []
    for port in range(base, base + span):
        g = grab(port)
        if g is None:
            break
        socks += g
    if len(socks) != 2 * span:
        for s in socks:
            s.close()
        continue
    held += socks
    bases.append(base)
    exclude.update(range(base, base + span))
for s in held:
    s.close()
if len(bases) != count:
    sys.exit("no free ports found")
print(" ".join(map(str, bases)))
EOF
}

# True when PROTO (udp|tcp) port P is bound (UDP) or listening (TCP) on 127.0.0.1 by the
# process PID.
sip_bound() {
  local flag=-u
  [ "$1" = tcp ] && flag=-t
  [[ $(ss -Hlnp "$flag" "src 127.0.0.1:$2" 2>/dev/null) == *"pid=$3,"* ]]
}

# Validates a port option value (0 = pick a free one).
sip_check_port() {
  [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -le 65535 ] || sip_die "$1: not a port: $2"
}

# Work directory: --workdir DIR (kept) or a fresh temp dir (removed on exit). Sets $work.
sip_workdir=""
sip_keep_work=""
sip_make_workdir() {
  if [ -n "$sip_workdir" ]; then
    mkdir -p "$sip_workdir"
    work=$(cd "$sip_workdir" && pwd)
    sip_keep_work=1
  else
    work=$(mktemp -d "${TMPDIR:-/tmp}/tandem-$sip_name.XXXXXX")
    # Removes the temp dir even when the launcher is SIGKILLed (no trap runs then): a small
    # watcher, detached from the launcher's stdout/stderr, polls for the launcher's end; after
    # a normal exit (dir already removed) it ends within 0.5 s, else it waits 2 s for the peer
    # to stop first.
    local launcher=$$
    (
      trap '' INT HUP
      exec </dev/null >/dev/null 2>&1
      while kill -0 "$launcher" 2>/dev/null; do sleep 0.5; done
      [ -d "$work" ] || exit 0
      sleep 2
      rm -rf "$work"
    ) &
    sip_watcher=$!
  fi
}

# Children started with sip_start, in start order, and their log files.
sip_pids=()
sip_logs=()

# Starts "$@" with stdout+stderr to the log file $1, through spawn.py: a new session (so the
# process group can be signalled as a whole), an empty signal mask, default dispositions, and
# SIGTERM when the launcher dies (PR_SET_PDEATHSIG). Sets $started.
sip_start() {
  local logfile=$1
  shift
  python3 "$sip_dir/spawn.py" --setsid --pdeathsig "$$" -- "$@" >"$logfile" 2>&1 </dev/null &
  started=$!
  sip_pids+=("$started")
  sip_logs+=("$logfile")
}

# Dies with the end of the log of the child with index $2 ($1: what failed).
sip_die_with_log() {
  sip_log "$1; the end of ${sip_logs[$2]}:"
  tail -n 15 "${sip_logs[$2]}" >&2 || true
  exit 1
}

sip_cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  local pid i
  for ((i = ${#sip_pids[@]} - 1; i >= 0; i--)); do
    pid=${sip_pids[i]}
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -z "$sip_keep_work" ] && [ -n "${work:-}" ]; then
    rm -rf "$work"
  fi
  exit "$status"
}

sip_install_traps() {
  trap sip_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
}

# Waits up to $2 seconds until the check command "${@:3}" succeeds; $1 names what is awaited.
# Every started child must stay alive meanwhile.
sip_wait_for() {
  local what=$1 seconds=$2 deadline i
  shift 2
  deadline=$((SECONDS + seconds))
  until "$@"; do
    for i in "${!sip_pids[@]}"; do
      kill -0 "${sip_pids[i]}" 2>/dev/null || sip_die_with_log "$what exited before it was ready" "$i"
    done
    [ "$SECONDS" -lt "$deadline" ] || sip_die_with_log "$what: not ready within ${seconds}s" 0
    sleep 0.05
  done
}

# Stays in the foreground until a child exits (status 1) or the launcher's parent goes away
# (status 0); signals end it through the traps.
sip_stay() {
  local parent=$PPID i stat
  while :; do
    for i in "${!sip_pids[@]}"; do
      kill -0 "${sip_pids[i]}" 2>/dev/null || sip_die_with_log "process ${sip_pids[i]} exited; stopping" "$i"
    done
    stat=$(</proc/$$/stat)
    stat=${stat##*) }
    read -r _ ppid _ <<<"$stat"
    if [ "$parent" != 1 ] && [ "$ppid" != "$parent" ]; then
      sip_log "parent $parent went away; stopping"
      exit 0
    fi
    sleep 0.5 &
    wait $! || true
  done
}
