#!/bin/bash
# Records whole RTMP sessions of independent clients and servers on 127.0.0.1 and
# keeps each TCP connection as two raw byte streams (handshake included) plus a
# tab-separated summary of its RTMP messages from tshark's rtmpt dissector:
#
#   tests/data/traffic/NAME.c2s.bin   client-to-server bytes (C0 C1 C2, chunks)
#   tests/data/traffic/NAME.s2c.bin   server-to-client bytes (S0 S1 S2, chunks)
#   tests/data/traffic/NAME.txt       one line per message, both directions
#
# and rewrites the section of tests/data/README.md (the README.md beside OUTDIR)
# between its capture-traffic markers: files, commands, tool versions, date.
# The files are replaced only when every session was recorded and checked.
#
# Usage (as root: tcpdump needs it):  scripts/capture-traffic.sh [OUTDIR]
#   CAPTURE_KEEP=1 keeps the temp dir (pcaps, logs of every process) for a look.
# Needs the Debian packages nginx libnginx-mod-rtmp tcpdump tshark ffmpeg rtmpdump
# gstreamer1.0-tools gstreamer1.0-plugins-{base,good,bad,ugly} python3.
#
# Servers: a private nginx-rtmp (own config, pid, logs under a temp dir, free
# port), and ffmpeg's listen mode. Every process started here is stopped on
# exit, and the temp dir removed. A developer tool, not part of the tests.
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${1:-$root/tests/data/traffic}
readme=$(dirname "$out")/README.md

# Media: short and small. DUR seconds of WxH video at FPS, one keyframe a second.
DUR=2
W=320
H=240
FPS=25
VBIT=200   # kbit/s video
ABIT=48    # kbit/s audio (AAC, mono, 44.1 kHz)
EXT_OFFSET=16800   # s; 16800000 ms > 0xFFFFFF ms, so timestamps need the extended field

die() { echo "capture-traffic: $*" >&2; exit 1; }
say() { echo "== $*"; }

for tool in nginx tcpdump tshark ffmpeg ffprobe rtmpdump gst-launch-1.0 gst-inspect-1.0 python3 timeout dpkg-query; do
  command -v "$tool" >/dev/null || die "$tool is missing (see the packages at the top of $0)"
done
[ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || die "libnginx-mod-rtmp is missing"
for el in rtmp2sink rtmp2src rtmpsink rtmpsrc x264enc voaacenc aacparse h264parse flvmux multifilesrc; do
  gst-inspect-1.0 "$el" >/dev/null 2>&1 || die "GStreamer element $el is missing"
done
[ "$(id -u)" -eq 0 ] || die "run as root: tcpdump captures on lo"

py() { python3 "$here/rtmptraffic.py" "$@"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/capture-traffic.XXXXXX")
stage=$work/out
mkdir -p "$stage"
pids=""

# ------------------------------------------------------------------ processes

is_running() { kill -0 "$1" 2>/dev/null; }

# wait_gone PID SECS: poll until PID has exited; false if it is still there
wait_gone() {
  local pid=$1 n=$(( $2 * 20 ))
  while is_running "$pid"; do
    [ "$n" -gt 0 ] || return 1
    n=$((n - 1))
    sleep 0.05
  done
}

forget() {
  local p keep=""
  for p in $pids; do [ "$p" = "$1" ] || keep="$keep $p"; done
  pids=$keep
}

# stop PID: SIGINT, then SIGTERM, then SIGKILL, each given a few seconds;
# $stopped_by says which signal it took
stop() {
  local pid=$1 sig
  stopped_by=none
  for sig in INT TERM KILL; do
    is_running "$pid" || break
    stopped_by=$sig
    kill -s "$sig" "$pid" 2>/dev/null || true
    wait_gone "$pid" 5 && break
  done
  wait "$pid" 2>/dev/null || true
  forget "$pid"
}

cleanup() {
  local st=$? p
  trap - EXIT INT TERM HUP
  for p in $pids; do stop "$p"; done
  if [ -n "${CAPTURE_KEEP:-}" ]; then
    echo "capture-traffic: CAPTURE_KEEP is set: captures and logs kept in $work" >&2
  else
    rm -rf "$work"
  fi
  [ "$st" -eq 0 ] || echo "capture-traffic: failed (status $st); nothing in $out was changed" >&2
  exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# The exact commands of the current session, for the README (ports as $PORT).
session_cmds=""
record_cmd() {
  local line="" a
  for a in "$@"; do
    # plain words stay bare (a lone "!" is safe in bash), anything else is quoted
    if [[ $a =~ ^[][A-Za-z0-9_./:=,@%+!-]+$ ]]; then
      line="$line $a"
    else
      line="$line '${a//\'/\'\\\'\'}'"
    fi
  done
  line=${line# }
  [ -z "${nginx_port:-}" ] || line=${line//:$nginx_port/:\$PORT}
  [ -z "${listen_port:-}" ] || line=${line//:$listen_port/:\$PORT}
  line=${line//$work/\$TMP}
  session_cmds="$session_cmds$line"$'\n'
}

# start_bg LOG CMD...: CMD in the background, pid in $bgpid; every caller ends
# it with finish or stop (bounded waits), and cleanup stops what is left
start_bg() {
  local log=$work/$1.log
  shift
  record_cmd "$@"
  "$@" </dev/null >"$log" 2>&1 &
  bgpid=$!
  pids="$pids $bgpid"
}

# run LOG CMD...: CMD in the foreground (60 s limit); its failure is fatal
run() {
  local log=$work/$1.log
  shift
  record_cmd "$@"
  if ! timeout -k 5 60 "$@" </dev/null >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "failed: $*"
  fi
}

# finish PID SECS WHAT: let PID end by itself within SECS, else stop it; report
finish() {
  local pid=$1 st=0
  if wait_gone "$pid" "$2"; then
    wait "$pid" || st=$?
    forget "$pid"
    echo "   $3 exited by itself, status $st"
  else
    stop "$pid"
    echo "   $3 was still running ${2} s later: it took SIG$stopped_by to stop it"
  fi
}

# ------------------------------------------------------------------ capture

# cap_start NAME PORT: tcpdump on lo for TCP PORT, running once this returns
cap_start() {
  cap_name=$1
  cap_port=$2
  cap_mark=$(py freeport)
  cap_pcap=$work/$1.pcap
  session_cmds=""
  # -B: the ring needs room for bursts of 64 KiB loopback segments
  tcpdump -i lo -n -s 0 -B 131072 -U --immediate-mode -Z root -w "$cap_pcap" \
    "tcp port $cap_port or udp port $cap_mark" </dev/null >"$work/$1.tcpdump.log" 2>&1 &
  cap_pid=$!
  pids="$pids $cap_pid"
  py barrier "$cap_pcap" "$cap_mark" 20
}

# cap_stop: once the connections are closed and the capture holds every packet
cap_stop() {
  py waitclosed "$cap_port" 20
  py barrier "$cap_pcap" "$cap_mark" 20
  stop "$cap_pid"
  grep -q '^0 packets dropped by kernel' "$work/$cap_name.tcpdump.log" ||
    die "tcpdump dropped packets: $(cat "$work/$cap_name.tcpdump.log")"
}

# describe NAME TEXT: what a recording shows, and the commands that made it
describe() {
  local c2s s2c
  c2s=$(awk -F'\t' '$1 == "c2s"' "$stage/$1.txt" | wc -l)
  s2c=$(awk -F'\t' '$1 == "s2c"' "$stage/$1.txt" | wc -l)
  printf '| `%s` | %s | %s | %s / %s | %s |\n' "$1" "$(stat -c %s "$stage/$1.c2s.bin")" \
    "$(stat -c %s "$stage/$1.s2c.bin")" "$c2s" "$s2c" "$2" >>"$work/table.md"
  printf '`%s`:\n\n```\n%s```\n\n' "$1" "$session_cmds" >>"$work/sessions.md"
}

# received WHAT FILE: what a player wrote, for the log
received() {
  local counts
  counts=$(ffprobe -v error -count_packets -show_entries stream=codec_type,nb_read_packets -of csv=p=0 "$2" \
    2>/dev/null | tr '\n' ' ') || true
  echo "   $1 wrote $(stat -c %s "$2" 2>/dev/null || echo 0) bytes of FLV; packets per stream: ${counts:-none}"
}

# ------------------------------------------------------------------ clients

# gst_publish SINK PROPS...: sets gst_cmd to a gst-launch-1.0 command sending
# H.264 + AAC in FLV into SINK (non-live sources, paced by the sink's clock sync)
gst_publish() {
  gst_cmd=(gst-launch-1.0 -q -e
    videotestsrc num-buffers=$((DUR * FPS)) ! "video/x-raw,width=$W,height=$H,framerate=$FPS/1" ! \
    x264enc tune=zerolatency key-int-max=$FPS bitrate=$VBIT speed-preset=ultrafast ! h264parse ! \
    flvmux name=mux streamable=true ! "$@" \
    audiotestsrc num-buffers=$((DUR * 50)) samplesperbuffer=882 ! "audio/x-raw,rate=44100,channels=1" ! \
    voaacenc bitrate=$((ABIT * 1000)) ! aacparse ! mux.)
}

ffmpeg_lavfi=(-f lavfi -i "testsrc=size=${W}x${H}:rate=$FPS:duration=$DUR"
  -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=$DUR"
  -c:v libx264 -preset ultrafast -tune zerolatency -pix_fmt yuv420p -g $FPS -b:v ${VBIT}k
  -c:a aac -b:a ${ABIT}k -ac 1)

# ------------------------------------------------------------------ nginx-rtmp

nginx_port=$(py freeport)
mkdir -p "$work/nginx/logs" "$work/nginx/temp"
cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log info;
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
events { worker_connections 64; }
rtmp {
    server {
        listen 127.0.0.1:$nginx_port;
        chunk_size 4096;
        application live { live on; }
    }
}
EOF
nginx_log=$work/nginx/logs/error.log
nginx -p "$work/nginx/" -c "$work/nginx/nginx.conf" -e "$nginx_log" -t >"$work/nginx-t.log" 2>&1 ||
  { cat "$work/nginx-t.log" >&2; die "nginx rejects its configuration"; }
nginx -p "$work/nginx/" -c "$work/nginx/nginx.conf" -e "$nginx_log" </dev/null >"$work/nginx.log" 2>&1 &
nginx_pid=$!
pids="$pids $nginx_pid"
py waitlisten "$nginx_port" 10
say "nginx-rtmp on 127.0.0.1:$nginx_port, work dir $work"
nginx_url=rtmp://127.0.0.1:$nginx_port/live

nginx_conf_doc=$(sed -e "s|$work|\$TMP|g" -e "s|:$nginx_port;|:\$PORT;|g" "$work/nginx/nginx.conf")

# ---- publishers into nginx

say "nginx-rtmp2sink-publish"
cap_start nginx-rtmp2sink-publish "$nginx_port"
gst_publish rtmp2sink location="$nginx_url/rtmp2sink-publish"
run rtmp2sink-publish "${gst_cmd[@]}"
cap_stop
py extract "$cap_pcap" "$nginx_port" "$stage" publish=nginx-rtmp2sink-publish --min-video=40
describe nginx-rtmp2sink-publish "GStreamer \`rtmp2sink\` publishing $DUR s of H.264 + AAC (flvmux) to nginx-rtmp."

say "nginx-ffmpeg-publish"
cap_start nginx-ffmpeg-publish "$nginx_port"
run ffmpeg-publish ffmpeg -hide_banner -nostdin -loglevel warning -re "${ffmpeg_lavfi[@]}" \
  -f flv "$nginx_url/ffmpeg-publish"
cap_stop
py extract "$cap_pcap" "$nginx_port" "$stage" publish=nginx-ffmpeg-publish --min-video=40
describe nginx-ffmpeg-publish "FFmpeg (\`-f flv rtmp://\`, its own RTMP client) publishing $DUR s of H.264 + AAC to nginx-rtmp."

say "nginx-rtmpsink-publish"
cap_start nginx-rtmpsink-publish "$nginx_port"
gst_publish rtmpsink location="$nginx_url/rtmpsink-publish"
run rtmpsink-publish "${gst_cmd[@]}"
cap_stop
py extract "$cap_pcap" "$nginx_port" "$stage" publish=nginx-rtmpsink-publish --min-video=40
describe nginx-rtmpsink-publish "GStreamer \`rtmpsink\` (librtmp inside) publishing $DUR s of H.264 + AAC (flvmux) to nginx-rtmp."

# ---- players of nginx: the player first, then FFmpeg publishes; only the
# player's connection is kept (the publisher's is like nginx-ffmpeg-publish)

# play_session NAME PLAYER-CMD...: the stream is live/NAME; @OUT@ in the
# command is the player's output file
play_session() {
  local name=$1 stream=$1
  shift
  say "$name"
  cap_start "$name" "$nginx_port"
  local cmd=("$@")
  cmd=("${cmd[@]//@OUT@/$work/$name.flv}")
  start_bg "$name-player" "${cmd[@]}"
  local player=$bgpid
  py waitlog "$nginx_log" "play: name='$stream'" 20
  run "$name-publisher" ffmpeg -hide_banner -nostdin -loglevel warning -re "${ffmpeg_lavfi[@]}" \
    -f flv "$nginx_url/$stream"
  finish "$player" 5 "the player"
  cap_stop
  [ ! -f "$work/$name.flv" ] || received "the player" "$work/$name.flv"
  py extract "$cap_pcap" "$nginx_port" "$stage" play="$name" publish=- --min-video=40
}

play_session nginx-rtmp2src-play gst-launch-1.0 -q rtmp2src location="$nginx_url/nginx-rtmp2src-play" ! \
  filesink location=@OUT@
describe nginx-rtmp2src-play "GStreamer \`rtmp2src\` playing a live stream from nginx-rtmp while FFmpeg publishes it (only the player's connection is kept)."

play_session nginx-ffmpeg-play ffmpeg -hide_banner -nostdin -i "$nginx_url/nginx-ffmpeg-play" -f null -
describe nginx-ffmpeg-play "FFmpeg (\`-i rtmp://\`) playing a live stream from nginx-rtmp while FFmpeg publishes it (only the player's connection is kept)."

play_session nginx-rtmpdump-play rtmpdump -r "$nginx_url/nginx-rtmpdump-play" --live -o @OUT@
describe nginx-rtmpdump-play "\`rtmpdump --live\` (librtmp) playing a live stream from nginx-rtmp while FFmpeg publishes it (only the player's connection is kept)."

play_session nginx-rtmpsrc-play gst-launch-1.0 -q rtmpsrc location="$nginx_url/nginx-rtmpsrc-play live=1" ! \
  filesink location=@OUT@
describe nginx-rtmpsrc-play "GStreamer \`rtmpsrc\` (librtmp inside) playing a live stream from nginx-rtmp while FFmpeg publishes it (only the player's connection is kept)."

# ---- extended timestamps: media timestamps from EXT_OFFSET s (> 0xFFFFFF ms)

say "nginx-extts (FFmpeg publishes with -output_ts_offset $EXT_OFFSET, rtmpdump plays)"
cap_start nginx-extts "$nginx_port"
start_bg extts-player rtmpdump -r "$nginx_url/extts" --live -o "$work/extts-rtmpdump.flv"
player=$bgpid
py waitlog "$nginx_log" "play: name='extts'" 20
run extts-publisher ffmpeg -hide_banner -nostdin -loglevel warning -re "${ffmpeg_lavfi[@]}" \
  -output_ts_offset $EXT_OFFSET -f flv "$nginx_url/extts"
finish "$player" 5 "rtmpdump"
cap_stop
received rtmpdump "$work/extts-rtmpdump.flv"
py extract "$cap_pcap" "$nginx_port" "$stage" publish=nginx-ffmpeg-publish-extts play=nginx-rtmpdump-play-extts \
  --min-video=40 --require-ets=nginx-ffmpeg-publish-extts --require-ets=nginx-rtmpdump-play-extts
extts_cmds=$session_cmds
describe nginx-ffmpeg-publish-extts "FFmpeg publishing to nginx-rtmp with media timestamps starting at $EXT_OFFSET s (16800000 ms, above 0xFFFFFF): extended timestamps on the wire. Recorded together with \`nginx-rtmpdump-play-extts\`."
session_cmds=$extts_cmds
describe nginx-rtmpdump-play-extts "\`rtmpdump --live\` playing the stream of \`nginx-ffmpeg-publish-extts\` from nginx-rtmp: nginx's way of sending timestamps above 0xFFFFFF."

say "nginx-rtmp2src-play-extts-late (rtmp2src joins while FFmpeg publishes with -output_ts_offset)"
cap_start nginx-rtmp2src-play-extts-late "$nginx_port"
start_bg extts-late-publisher ffmpeg -hide_banner -nostdin -loglevel warning -re "${ffmpeg_lavfi[@]}" \
  -output_ts_offset $EXT_OFFSET -f flv "$nginx_url/extts-late"
publisher=$bgpid
py waitlog "$nginx_log" "publish: name='extts-late'" 20
start_bg extts-late-player gst-launch-1.0 -q rtmp2src location="$nginx_url/extts-late" ! \
  filesink location="$work/extts-late.flv"
player=$bgpid
finish "$publisher" 20 "ffmpeg (publisher)"
finish "$player" 5 "rtmp2src"
cap_stop
received rtmp2src "$work/extts-late.flv"
py extract "$cap_pcap" "$nginx_port" "$stage" play=nginx-rtmp2src-play-extts-late publish=- --min-video=10 \
  --require-ets=nginx-rtmp2src-play-extts-late
describe nginx-rtmp2src-play-extts-late "GStreamer \`rtmp2src\` joining a live stream on nginx-rtmp whose timestamps are already above 0xFFFFFF (FFmpeg publishing with \`-output_ts_offset $EXT_OFFSET\`, started first): nginx starts each chunk stream of a new player with a type 0 header carrying the absolute timestamp in the extended field. Only the player's connection is kept; it starts at the next keyframe, so it has fewer frames."

# The same media as an FLV file, for the GStreamer publishers: each FLV tag in
# a file of its own, so that multifilesrc hands rtmp2sink one tag per buffer
# (flvmux itself would start the timestamps at 0 again).
session_cmds=""
record_cmd ffmpeg -hide_banner -nostdin -loglevel warning "${ffmpeg_lavfi[@]}" \
  -output_ts_offset $EXT_OFFSET -f flv "$work/extts.flv"
ffmpeg -hide_banner -nostdin -loglevel warning "${ffmpeg_lavfi[@]}" \
  -output_ts_offset $EXT_OFFSET -f flv "$work/extts.flv" </dev/null >"$work/extts-flv.log" 2>&1 ||
  die "ffmpeg could not write extts.flv"
flv_cmds=$session_cmds
py flvtags "$work/extts.flv" "$work/extts-tags"

say "nginx-rtmp2sink-publish-extts"
cap_start nginx-rtmp2sink-publish-extts "$nginx_port"
session_cmds=$flv_cmds
record_cmd python3 scripts/rtmptraffic.py flvtags "$work/extts.flv" "$work/extts-tags"
run rtmp2sink-extts gst-launch-1.0 -q multifilesrc location="$work/extts-tags/%05d.flv" index=0 caps=video/x-flv ! \
  rtmp2sink location="$nginx_url/rtmp2sink-extts" sync=false
cap_stop
py extract "$cap_pcap" "$nginx_port" "$stage" publish=nginx-rtmp2sink-publish-extts --min-video=40 \
  --require-ets=nginx-rtmp2sink-publish-extts
describe nginx-rtmp2sink-publish-extts "GStreamer \`rtmp2sink\` publishing an FLV file written by FFmpeg with timestamps from $EXT_OFFSET s (one FLV tag per buffer, not paced): extended timestamps with \`rtmp2sink\`'s chunk size of 128."

say "nginx-rtmpsink-publish-extts"
cap_start nginx-rtmpsink-publish-extts "$nginx_port"
session_cmds=$flv_cmds
run rtmpsink-extts gst-launch-1.0 -q filesrc location="$work/extts.flv" ! rtmpsink location="$nginx_url/rtmpsink-extts"
cap_stop
py extract "$cap_pcap" "$nginx_port" "$stage" publish=nginx-rtmpsink-publish-extts --min-video=40 \
  --require-ets=nginx-rtmpsink-publish-extts
describe nginx-rtmpsink-publish-extts "GStreamer \`rtmpsink\` (librtmp) publishing the same FLV file (timestamps from $EXT_OFFSET s, not paced): librtmp's extended timestamps."

# ------------------------------------------------------------------ ffmpeg -listen 1



say "ffmpeglisten-rtmp2sink-publish"
listen_port=$(py freeport)
cap_start ffmpeglisten-rtmp2sink-publish "$listen_port"
start_bg ffmpeg-listen-recv ffmpeg -hide_banner -nostdin -listen 1 -i "rtmp://127.0.0.1:$listen_port/live/x" -f null -
server=$bgpid
py waitlisten "$listen_port" 10
gst_publish rtmp2sink location="rtmp://127.0.0.1:$listen_port/live/x"
run rtmp2sink-to-listen "${gst_cmd[@]}"
finish "$server" 10 "ffmpeg -listen 1"
cap_stop
py extract "$cap_pcap" "$listen_port" "$stage" publish=ffmpeglisten-rtmp2sink-publish --min-video=40
describe ffmpeglisten-rtmp2sink-publish "GStreamer \`rtmp2sink\` publishing to FFmpeg's listen mode (\`ffmpeg -listen 1 -i rtmp://...\`): FFmpeg's server handshake and answers to a publisher."

session_cmds=""
record_cmd ffmpeg -hide_banner -nostdin -loglevel warning "${ffmpeg_lavfi[@]}" -f flv "$work/src.flv"
src_cmds=$session_cmds
ffmpeg -hide_banner -nostdin -loglevel warning "${ffmpeg_lavfi[@]}" -f flv "$work/src.flv" \
  </dev/null >"$work/src-flv.log" 2>&1 || die "ffmpeg could not write src.flv"

# listen_play NAME PLAYER-CMD...: ffmpeg serves src.flv to one player on live/x
listen_play() {
  local name=$1
  shift
  say "$name"
  listen_port=$(py freeport)
  cap_start "$name" "$listen_port"
  session_cmds=$src_cmds
  start_bg "$name-server" ffmpeg -hide_banner -nostdin -re -i "$work/src.flv" -c copy -f flv -listen 1 \
    "rtmp://127.0.0.1:$listen_port/live/x"
  local server=$bgpid
  py waitlisten "$listen_port" 10
  local cmd=("$@")
  cmd=("${cmd[@]//@URL@/rtmp://127.0.0.1:$listen_port/live/x}")
  cmd=("${cmd[@]//@OUT@/$work/$name.flv}")
  start_bg "$name-player" "${cmd[@]}"
  local player=$bgpid
  finish "$server" 15 "ffmpeg -listen 1"
  finish "$player" 5 "the player"
  cap_stop
  received "the player" "$work/$name.flv"
  py extract "$cap_pcap" "$listen_port" "$stage" play="$name" --min-video=40
}

listen_play ffmpeglisten-rtmpdump-play rtmpdump -r @URL@ --live -o @OUT@
describe ffmpeglisten-rtmpdump-play "\`rtmpdump --live\` playing from FFmpeg's listen mode (\`ffmpeg -re -i src.flv -c copy -f flv -listen 1 rtmp://...\`): FFmpeg as a server sends the media on message stream id 0."

listen_play ffmpeglisten-rtmp2src-play gst-launch-1.0 -q rtmp2src location=@URL@ ! filesink location=@OUT@
describe ffmpeglisten-rtmp2src-play "GStreamer \`rtmp2src\` playing from FFmpeg's listen mode, as above: the same stream id 0 media, which rtmp2src drops."

# ------------------------------------------------------------------ done

stop "$nginx_pid"

say "checking and installing into $out"
total=$(du -cb "$stage"/* | tail -n 1 | cut -f1)
[ "$total" -le $((4 * 1024 * 1024)) ] || die "the recordings take $total bytes, more than 4 MiB"
mkdir -p "$out"
rm -f "$out"/*.c2s.bin "$out"/*.s2c.bin "$out"/*.txt
cp "$stage"/* "$out"/

# tests/data/README.md: replace (or append) the section between the markers
begin='<!-- capture-traffic.sh: begin -->'
end='<!-- capture-traffic.sh: end -->'
{
  echo "$begin"
  echo "## traffic/: recorded RTMP sessions"
  echo
  echo "Written by \`scripts/capture-traffic.sh\` on $(date -u +%Y-%m-%d) (run it as root to regenerate"
  echo "every file below and this section; hand-written notes on what the recordings show are in"
  echo "\`traffic/NOTES.md\`). Each TCP connection is kept as two files of raw TCP payload, one per"
  echo "direction, from the first byte of the handshake to the close:"
  echo
  echo "- \`NAME.c2s.bin\`: client to server: C0 (0x03), C1 (1536), C2 (1536), then chunks;"
  echo "- \`NAME.s2c.bin\`: server to client: S0, S1, S2 (1 + 1536 + 1536), then chunks;"
  echo "- \`NAME.txt\`: the RTMP messages of both directions in capture order, one a line, tab-separated,"
  echo "  with a header line. Columns: \`dir\` (c2s or s2c), \`csid\` (chunk stream id of the message's"
  echo "  first chunk), \`typeid\`, \`msid\` (message stream id), \`timestamp\` (absolute, ms), \`length\`"
  echo "  (message length), \`command\` (first AMF0 string of a command or data message, types 20, 17,"
  echo "  18, 15), \`txid\` (transaction id of a command), \`info\` (tshark's one-line description). Made"
  echo "  from tshark's rtmpt dissector (messages, lengths, type ids, chunk header fields) and checked"
  echo "  message by message against the script's own chunk-stream parse (\`scripts/rtmptraffic.py\`);"
  echo "  the byte streams were checked against tshark's own TCP reassembly, with no retransmission,"
  echo "  no segment out of order, and no packet dropped by the capture."
  echo
  echo "Media: ${W}x${H} H.264 at $FPS fps (${VBIT} kbit/s, a keyframe a second) and AAC mono 44.1 kHz"
  echo "(${ABIT} kbit/s), $DUR s, from videotestsrc/audiotestsrc or lavfi testsrc/sine."
  echo
  echo "The private nginx-rtmp's configuration:"
  echo
  echo '```'
  echo "$nginx_conf_doc"
  echo '```'
  echo
  echo "Tool versions (\`dpkg-query -W\`):"
  echo
  echo '```'
  dpkg-query -W nginx libnginx-mod-rtmp ffmpeg libavformat59 gstreamer1.0-plugins-bad gstreamer1.0-plugins-good \
    gstreamer1.0-plugins-ugly gstreamer1.0-plugins-base libgstreamer1.0-0 rtmpdump librtmp1 tshark tcpdump 2>/dev/null
  echo '```'
  echo
  echo "Each recording NAME is \`traffic/NAME.c2s.bin\`, \`traffic/NAME.s2c.bin\` and \`traffic/NAME.txt\`."
  echo "Sizes in bytes; messages are the lines of the summary per direction."
  echo
  echo "| NAME | c2s bytes | s2c bytes | messages c2s / s2c | what it shows |"
  echo "| --- | ---: | ---: | ---: | --- |"
  cat "$work/table.md"
  echo
  echo "### The commands"
  echo
  echo "Run by the script in the order shown (each player first where there is one; \`\$PORT\` is the"
  echo "server's port, \`\$TMP\` the script's temp dir). Publishers in play sessions are recorded"
  echo "too, but only the player's connection is kept."
  echo
  cat "$work/sessions.md"
  echo "$end"
} >"$work/section.md"
mkdir -p "$(dirname "$readme")"
if [ -f "$readme" ] && grep -qF "$begin" "$readme"; then
  python3 - "$readme" "$work/section.md" "$begin" "$end" <<'EOF'
import sys
path, section, begin, end = sys.argv[1:5]
text = open(path).read()
a = text.index(begin)
b = text.index(end, a) + len(end)
open(path, "w").write(text[:a] + open(section).read().rstrip("\n") + text[b:])
EOF
else
  {
    if [ -s "$readme" ]; then
      echo
    else
      printf '# tests/data\n\nTest data and where each file came from.\n\n'
    fi
    cat "$work/section.md"
  } >>"$readme"
fi
say "done: $(ls "$stage" | wc -l) files, $total bytes in $out"
