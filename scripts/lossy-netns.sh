#!/usr/bin/env bash
# lossy-netns.sh: run several powchain miner nodes, each in its own Linux network
# namespace, with a share of incoming UDP datagrams dropped, and report whether they
# converge on one chain.
#
# Topology (everything lives in namespaces this script creates, all named pwc-*):
#
#   pwc-sw   holds a bridge br0 and one veth end per node (no address, no route)
#   pwc-nX   one per node: eth0 = 10.213.7.X/24 (veth into pwc-sw), lo, and an nftables
#            table "inet lossy" whose input hook drops PCT% of UDP datagrams at random
#            (silently: the sender learns nothing). Counters show how many were dropped.
#
# Nothing is attached to the host's (root namespace) interfaces and no route is added
# there: the nodes can only reach each other.
#
# Limits: the kernel here has no `tc netem`, so only loss is simulated. There is no
# reordering, no delay, no duplication and no corruption; loss applies on input only
# (each datagram is dropped at most once, at its receiver), uniformly at random.
#
# The nodes stop at --height H (`--stop-at-height`); the network has converged when
# every node's exit chain is the same from the root up to height H-1 (the blocks at
# height H may differ: a race at the very tip). A node that is still far behind when
# the others have stopped has to mine the rest alone, which shows as a fork.
#
# Usage (as root):
#   scripts/lossy-netns.sh [--nodes N] [--loss PCT] [--height H] [--target T]
#                          [--timeout S] [--keep-logs]
#   scripts/lossy-netns.sh --cleanup     # remove pwc-* namespaces left by a killed run
# Same settings via the environment: PWC_NODES, PWC_LOSS, PWC_HEIGHT, PWC_TARGET,
# PWC_TIMEOUT, PWC_KEEP_LOGS=1 (flags win).
#
# Exit status: 0 converged, 1 not converged (or a node failed / timed out),
# 2 usage or setup error.
# Needs: root, iproute2 (`ip netns`), nftables (`nft`), node (the build already done).

set -euo pipefail

readonly SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
readonly REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"
readonly POWCHAIN="$REPO_ROOT/bin/powchain.js"
readonly SUBNET=10.213.7
readonly PORT=5000
readonly SWITCH_NS=pwc-sw

NODES="${PWC_NODES:-4}"
LOSS="${PWC_LOSS:-20}"
HEIGHT="${PWC_HEIGHT:-15}"
TARGET="${PWC_TARGET:-2^232}"
TIMEOUT="${PWC_TIMEOUT:-300}"
KEEP_LOGS="${PWC_KEEP_LOGS:-0}"

usage() {
  sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

die() {
  echo "lossy-netns: $*" >&2
  exit 2
}

log() {
  printf '[%4ds] %s\n' "$((SECONDS))" "$*"
}

node_ns() { echo "pwc-n$1"; }

# ---------------------------------------------------------------- arguments

DO_CLEANUP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nodes) NODES="${2:?--nodes needs a value}"; shift 2 ;;
    --loss) LOSS="${2:?--loss needs a value}"; shift 2 ;;
    --height) HEIGHT="${2:?--height needs a value}"; shift 2 ;;
    --target) TARGET="${2:?--target needs a value}"; shift 2 ;;
    --timeout) TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
    --nodes=*) NODES="${1#*=}"; shift ;;
    --loss=*) LOSS="${1#*=}"; shift ;;
    --height=*) HEIGHT="${1#*=}"; shift ;;
    --target=*) TARGET="${1#*=}"; shift ;;
    --timeout=*) TIMEOUT="${1#*=}"; shift ;;
    --keep-logs) KEEP_LOGS=1; shift ;;
    --cleanup) DO_CLEANUP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "lossy-netns: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
is_uint "$NODES" && (( NODES >= 2 && NODES <= 200 )) || die "--nodes must be an integer in 2..200 (got '$NODES')"
is_uint "$LOSS" && (( LOSS <= 100 )) || die "--loss must be an integer percentage in 0..100 (got '$LOSS')"
is_uint "$HEIGHT" && (( HEIGHT >= 1 )) || die "--height must be an integer >= 1 (got '$HEIGHT')"
is_uint "$TIMEOUT" && (( TIMEOUT >= 10 )) || die "--timeout must be an integer number of seconds >= 10 (got '$TIMEOUT')"
[[ "$TARGET" =~ ^(0[xX][0-9a-fA-F]+|2\^[0-9]+|[0-9]+)$ ]] || die "--target must be 0xHEX, 2^N or decimal (got '$TARGET')"

# ---------------------------------------------------------------- prerequisites

(( EUID == 0 )) || die "must be run as root (it creates network namespaces and nftables rules); try: sudo $0"
command -v ip >/dev/null || die "'ip' (iproute2) not found; install it: apt-get install iproute2"
command -v nft >/dev/null || die "'nft' not found; install nftables first: apt-get update && apt-get install -y nftables"
command -v node >/dev/null || die "'node' not found on PATH"
command -v timeout >/dev/null || die "'timeout' (coreutils) not found"
[[ -f "$POWCHAIN" ]] || die "$POWCHAIN not found"
[[ -d "$REPO_ROOT/dist" ]] || die "$REPO_ROOT/dist missing: build powchain first (npm run build)"

our_leftover_namespaces() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^pwc-(sw|n[0-9]+)$' || true
}

if (( DO_CLEANUP )); then
  for ns in $(our_leftover_namespaces); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" && echo "deleted namespace $ns"
  done
  exit 0
fi

leftovers="$(our_leftover_namespaces)"
[[ -z "$leftovers" ]] || die "namespaces from another run exist ($(echo $leftovers)); is another run going? If not: $0 --cleanup"

# ---------------------------------------------------------------- cleanup (always)

CREATED_NS=()      # namespaces this run created, in creation order
declare -A PIDS=() # node index -> pid of its `timeout` wrapper
declare -A RCS=()  # node index -> exit status
declare -A PROBES=()
WORKDIR=""
RESULT=1
CLEANED=0

cleanup() {
  local status=$?
  (( CLEANED )) && return
  CLEANED=1
  set +e
  trap '' INT TERM
  # 1. the node processes we started (by pid), politely then not.
  local i pid ns alive
  for i in "${!PIDS[@]}"; do
    [[ -n "${RCS[$i]:-}" ]] || kill -TERM "${PIDS[$i]}" 2>/dev/null
  done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    alive=0
    for i in "${!PIDS[@]}"; do kill -0 "${PIDS[$i]}" 2>/dev/null && alive=1; done
    (( alive )) || break
    sleep 0.3
  done
  for i in "${!PIDS[@]}"; do kill -KILL "${PIDS[$i]}" 2>/dev/null; done
  # 2. anything still running inside our namespaces (only our own processes can be there).
  for ns in "${CREATED_NS[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  done
  wait 2>/dev/null
  # 3. the namespaces, nodes first; deleting a namespace deletes its veth end, bridge and nft table.
  local idx
  for (( idx=${#CREATED_NS[@]}-1; idx>=0; idx-- )); do
    ns="${CREATED_NS[$idx]}"
    [[ -e "/run/netns/$ns" ]] || continue
    ip netns del "$ns" 2>/dev/null || echo "lossy-netns: could not delete namespace $ns" >&2
  done
  # 4. the logs: kept when something went wrong or when asked.
  if [[ -n "$WORKDIR" && -d "$WORKDIR" ]]; then
    if (( KEEP_LOGS )) || (( RESULT != 0 )) || (( status != 0 )); then
      echo "logs kept in $WORKDIR"
    else
      rm -rf -- "$WORKDIR"
    fi
  fi
}
trap cleanup EXIT
trap 'echo; echo "lossy-netns: interrupted" >&2; exit 130' INT
trap 'echo "lossy-netns: terminated" >&2; exit 143' TERM

WORKDIR="$(mktemp -d /tmp/pwc-lossy.XXXXXX)"

# ---------------------------------------------------------------- network

new_ns() {
  CREATED_NS+=("$1") # recorded first: an interrupt right after `add` still cleans it up
  ip netns add "$1"
  ip -n "$1" link set lo up
}

log "nodes=$NODES loss=$LOSS% height=$HEIGHT target=$TARGET timeout=${TIMEOUT}s logs=$WORKDIR"
new_ns "$SWITCH_NS"
ip -n "$SWITCH_NS" link add br0 type bridge
ip -n "$SWITCH_NS" link set br0 up

ALL=""
for (( i=1; i<=NODES; i++ )); do
  ns="$(node_ns "$i")"
  new_ns "$ns"
  # The veth pair is created inside the switch namespace, its peer moved straight into
  # the node namespace: neither end ever exists in the root namespace.
  ip -n "$SWITCH_NS" link add "p$i" type veth peer name eth0 netns "$ns"
  ip -n "$SWITCH_NS" link set "p$i" master br0
  ip -n "$SWITCH_NS" link set "p$i" up
  ip -n "$ns" addr add "$SUBNET.$i/24" dev eth0
  ip -n "$ns" link set eth0 up
  ALL+="${ALL:+,}$SUBNET.$i:$PORT"
done

# Reachability check before any loss is applied: node 1 sends a few UDP datagrams to
# every other node, each of which must receive one within a few seconds.
PROBE_PORT=5999
for (( i=2; i<=NODES; i++ )); do
  ip netns exec "$(node_ns "$i")" timeout 8 node -e '
    const s = require("dgram").createSocket("udp4");
    s.on("message", () => { s.close(); process.exit(0); });
    s.bind(Number(process.argv[1]), process.argv[2], () => console.log("ready"));
    setTimeout(() => process.exit(1), 6000);
  ' "$PROBE_PORT" "$SUBNET.$i" >"$WORKDIR/probe$i.out" 2>&1 &
  PROBES[$i]=$!
done
for (( i=2; i<=NODES; i++ )); do
  for _ in $(seq 1 50); do grep -q ready "$WORKDIR/probe$i.out" 2>/dev/null && break; sleep 0.1; done
done
ip netns exec "$(node_ns 1)" timeout 8 node -e '
  const s = require("dgram").createSocket("udp4");
  const [port, ...hosts] = process.argv.slice(1);
  let n = 0;
  const tick = () => { for (const h of hosts) s.send("probe", Number(port), h); if (++n === 10) { s.close(); } else setTimeout(tick, 200); };
  s.bind(0, tick);
' "$PROBE_PORT" $(for (( i=2; i<=NODES; i++ )); do echo "$SUBNET.$i"; done) >/dev/null 2>&1 || true
for (( i=2; i<=NODES; i++ )); do
  wait "${PROBES[$i]}" || die "network check failed: $SUBNET.1 cannot reach $SUBNET.$i over UDP"
done
unset PROBES

for (( i=1; i<=NODES; i++ )); do
  ns="$(node_ns "$i")"
  ip netns exec "$ns" nft -f - <<EOF
table inet lossy {
  counter dropped {}
  counter delivered {}
  chain input {
    type filter hook input priority 0; policy accept;
    meta l4proto udp numgen random mod 100 < $LOSS counter name "dropped" drop
    meta l4proto udp counter name "delivered"
  }
}
EOF
done
log "network up: $SWITCH_NS bridge + $NODES node namespaces, ${LOSS}% UDP input loss in each"

# ---------------------------------------------------------------- nodes

# Each node also gets its own `timeout`, so that nothing outlives the run even if this
# script is killed with SIGKILL (the namespaces would then need --cleanup).
NODE_LIMIT=$(( TIMEOUT + 30 ))
start_node() { # index [genesis]
  local i="$1" ns
  ns="$(node_ns "$i")"
  ip netns exec "$ns" timeout -k 5 "$NODE_LIMIT" \
    node "$POWCHAIN" mine "$SUBNET.$i:$PORT" "$ALL" ${2:-} \
      --log json --target "$TARGET" --threads 1 --stop-at-height "$HEIGHT" \
      >"$WORKDIR/n$i.jsonl" 2>"$WORKDIR/n$i.err" </dev/null &
  PIDS[$i]=$!
}

# Collects a finished node's exit status (once); true if it has finished.
reap() {
  local i="$1" rc=0
  [[ -n "${RCS[$i]:-}" ]] && return 0
  kill -0 "${PIDS[$i]}" 2>/dev/null && return 1
  wait "${PIDS[$i]}" || rc=$?
  RCS[$i]=$rc
  return 0
}

wait_listening() { # index
  local i="$1" deadline=$(( SECONDS + 30 ))
  until grep -q '"event":"listening"' "$WORKDIR/n$i.jsonl" 2>/dev/null; do
    if reap "$i"; then
      echo "lossy-netns: node $i exited (status ${RCS[$i]}) before listening:" >&2
      tail -n 5 "$WORKDIR/n$i.err" >&2
      exit 1
    fi
    (( SECONDS < deadline )) || { echo "lossy-netns: node $i did not print 'listening' within 30 s" >&2; exit 1; }
    sleep 0.2
  done
}

GENESIS_NODE=$NODES
for (( i=1; i<GENESIS_NODE; i++ )); do
  start_node "$i"
  wait_listening "$i"
done
START=$SECONDS
start_node "$GENESIS_NODE" genesis
wait_listening "$GENESIS_NODE"
log "started $NODES nodes ($SUBNET.1..$NODES:$PORT); node $GENESIS_NODE mines the genesis block"

last_height() { # index -> last head height or '-'
  local h
  h="$(grep -o '"event":"head","height":[0-9]*' "$WORKDIR/n$1.jsonl" 2>/dev/null | tail -n 1 | grep -o '[0-9]*$')" || true
  echo "${h:--}"
}

TIMED_OUT=0
next_report=$(( SECONDS + 10 ))
while :; do
  running=0
  for (( i=1; i<=NODES; i++ )); do reap "$i" || running=$(( running + 1 )); done
  (( running == 0 )) && break
  if (( SECONDS >= TIMEOUT )); then
    TIMED_OUT=1
    log "timeout (${TIMEOUT}s): stopping the $running node(s) still running"
    for (( i=1; i<=NODES; i++ )); do [[ -n "${RCS[$i]:-}" ]] || kill -TERM "${PIDS[$i]}" 2>/dev/null || true; done
    for _ in $(seq 1 20); do
      running=0
      for (( i=1; i<=NODES; i++ )); do reap "$i" || running=$(( running + 1 )); done
      (( running == 0 )) && break
      sleep 0.25
    done
    for (( i=1; i<=NODES; i++ )); do
      reap "$i" || { kill -KILL "${PIDS[$i]}" 2>/dev/null || true; sleep 0.2; reap "$i" || true; }
    done
    break
  fi
  if (( SECONDS >= next_report )); then
    line=""
    for (( i=1; i<=NODES; i++ )); do
      line+=" n$i=$(last_height "$i")"; [[ -n "${RCS[$i]:-}" ]] && line+="(done)"
    done
    log "heights:$line"
    next_report=$(( SECONDS + 10 ))
  fi
  sleep 0.5
done
log "all nodes stopped, $(( SECONDS - START ))s after the genesis node started"

# ---------------------------------------------------------------- report

counter_packets() { # ns counter-name
  ip netns exec "$1" nft list counter inet lossy "$2" 2>/dev/null \
    | awk '{for (i = 1; i < NF; i++) if ($i == "packets") {print $(i + 1); exit}}'
}

echo
echo "datagram loss (nftables counters, UDP arriving at each node):"
TOTAL_DROPPED=0
for (( i=1; i<=NODES; i++ )); do
  ns="$(node_ns "$i")"
  d="$(counter_packets "$ns" dropped)"; d="${d:-0}"
  a="$(counter_packets "$ns" delivered)"; a="${a:-0}"
  TOTAL_DROPPED=$(( TOTAL_DROPPED + d ))
  pct="$(awk -v d="$d" -v a="$a" 'BEGIN { printf (d + a) ? "%.1f" : "-", 100 * d / (d + a) }')"
  printf '  dropped %6d of %6d datagrams (%s%%) in %s\n' "$d" "$(( d + a ))" "$pct" "$ns"
done
if (( LOSS > 0 && TOTAL_DROPPED == 0 )); then
  echo "  WARNING: --loss $LOSS but nothing was dropped: the loss rule is not working" >&2
fi

echo
RC_ARGS=()
for (( i=1; i<=NODES; i++ )); do RC_ARGS+=("$i=${RCS[$i]:-?}"); done

set +e
node - "$WORKDIR" "$NODES" "$HEIGHT" "$TIMED_OUT" "${RC_ARGS[@]}" <<'EOF'
const fs = require('fs');
const [dir, nodesArg, heightArg, timedOutArg, ...rcArgs] = process.argv.slice(2);
const nodes = Number(nodesArg), H = Number(heightArg), timedOut = timedOutArg === '1';
const rcs = Object.fromEntries(rcArgs.map((a) => a.split('=')));
const short = (h) => (h ? h.slice(0, 16) : '-');
const results = [];
for (let i = 1; i <= nodes; i++) {
  const lines = fs.readFileSync(`${dir}/n${i}.jsonl`, 'utf8').split('\n').filter(Boolean);
  const events = [];
  for (const line of lines) { try { events.push(JSON.parse(line)); } catch { /* partial last line */ } }
  const exit = events.filter((e) => e.event === 'exit').pop();
  const head = events.filter((e) => e.event === 'head').pop();
  const count = (pred) => events.filter(pred).length;
  results.push({
    i, rc: rcs[String(i)], exit,
    height: exit ? exit.height : head ? head.height : undefined,
    hash: exit ? exit.hash : head?.hash,
    chain: exit?.chain,
    heads: count((e) => e.event === 'head'),
    received: count((e) => e.event === 'block' && e.from !== 'self' && e.status === 'accepted'),
    mined: count((e) => e.event === 'block' && e.from === 'self' && e.status === 'accepted'),
    duplicates: count((e) => e.event === 'block' && e.status === 'rejected' && /^duplicate/.test(e.reason ?? '')),
    rejected: count((e) => e.event === 'block' && e.status === 'rejected' && !e.orphan && !/^duplicate/.test(e.reason ?? '')),
    // blocks that arrived before their parent (a lost datagram), and how many of them the
    // node could attach later (its parent fetched or re-sent): the recovery at work.
    ...(() => {
      const orphans = new Set(events.filter((e) => e.event === 'block' && e.orphan).map((e) => e.hash));
      const accepted = new Set(events.filter((e) => e.event === 'block' && e.status === 'accepted').map((e) => e.hash));
      return { orphans: orphans.size, attached: [...orphans].filter((h) => accepted.has(h)).length };
    })(),
    warnings: count((e) => e.event === 'warning' || e.event === 'junk'),
  });
}
console.log('node  exit  height  head              mined  recv   dup  orphans  rej  warn  reason');
for (const r of results) {
  console.log(
    `n${String(r.i).padEnd(4)}${String(r.rc).padStart(4)}  ${String(r.height ?? '-').padStart(6)}  ${short(r.hash).padEnd(16)}  ` +
    `${String(r.mined).padStart(5)}  ${String(r.received).padStart(4)}  ${String(r.duplicates).padStart(4)}  ${`${r.attached}/${r.orphans}`.padStart(7)}  ${String(r.rejected).padStart(3)}  ${String(r.warnings).padStart(4)}  ` +
    `${r.exit ? r.exit.reason : '(no exit event)'}`,
  );
}
// Converged: every node has an exit chain reaching height H-1 and all agree on it.
const problems = [];
for (const r of results) {
  if (!r.chain) problems.push(`n${r.i} printed no exit chain`);
  else if (r.chain.length < H) problems.push(`n${r.i} stopped at height ${r.chain.length - 1} < ${H - 1}`);
  if (r.rc !== '0') problems.push(`n${r.i} exit status ${r.rc}${r.rc === '124' ? ' (killed by its timeout)' : ''}`);
}
if (timedOut) problems.push('timed out');
const chains = results.filter((r) => r.chain).map((r) => r.chain);
let common = -1; // highest height on which every chain agrees
if (chains.length === nodes) {
  const min = Math.min(...chains.map((c) => c.length));
  while (common + 1 < min && chains.every((c) => c[common + 1] === chains[0][common + 1])) common++;
  if (common < H - 1) {
    const at = common + 1;
    if (at < min) {
      const variants = new Map();
      results.forEach((r) => variants.set(r.chain[at], [...(variants.get(r.chain[at]) ?? []), `n${r.i}`]));
      problems.push(`fork at height ${at}: ` + [...variants].map(([h, ns]) => `${short(h)} (${ns.join(',')})`).join(' vs '));
    }
  }
  const tips = new Set(chains.every((c) => c.length > H) ? chains.map((c) => c[H]) : []);
  console.log(`\ncommon chain: heights 0..${common} identical on all ${nodes} nodes` +
    (tips.size > 1 ? `; ${tips.size} different tips (a race at the tip is allowed)` : ''));
} else {
  console.log('');
}
const converged = problems.length === 0 && common >= H - 1;
if (converged) {
  console.log(`CONVERGED: all ${nodes} nodes agree on heights 0..${H - 1} (root ${short(chains[0][0])}, block ${H - 1} ${short(chains[0][H - 1])})`);
} else {
  console.log('NOT CONVERGED:');
  for (const p of problems) console.log(`  - ${p}`);
}
process.exit(converged ? 0 : 1);
EOF
RESULT=$?
set -e
log "done in ${SECONDS}s"
exit "$RESULT"
