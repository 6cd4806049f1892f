/* rtmfp-probe: drives the RTMFP core (gst/rtmfp) over a real UDP socket,
 * to run live sessions against other implementations (developer tool)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One UDP socket, one RtmfpEndpoint with the OpenSSL crypto adapter, and
 * just enough of NetConnection/NetStream (the Flash profile's TC mapping)
 * to play, publish and accept a publisher:
 *
 *   rtmfp-probe play URI STREAM [-o out.flv]         connect, createStream,
 *                                                    play; media to FLV
 *   rtmfp-probe publish URI STREAM -i in.flv         connect, createStream,
 *                                                    publish the FLV file
 *   rtmfp-probe p2pplay URI STREAM -p PEERID [-o f]  connect to the server,
 *                                                    then play STREAM
 *                                                    directly from the peer
 *                                                    (introduced by it)
 *   rtmfp-probe p2ppublish URI STREAM -i in.flv      connect to the server
 *                                                    and answer P2P players
 *                                                    (introduced by it)
 *   rtmfp-probe serve -b ADDR:PORT [-o out.flv] [-i in.flv]
 *                                                    a server: answers
 *                                                    connect, createStream,
 *                                                    publish (media to
 *                                                    FLV), play (the -i
 *                                                    file, in real time),
 *                                                    and introduces P2P
 *                                                    peers
 *
 * URI is rtmfp://IPV4[:PORT]/APP. Options: -t SECONDS (run time, then an
 * orderly close), -b ADDR:PORT (our socket; clients default to
 * 127.0.0.1:0), -g 16,14,2 (DH groups; clients default to 2), -H/-S
 * (HMAC/SSEQ flags to offer, hex, default 02: "send if asked"), -P (send
 * setPeerInfo after connect), -v (every command, flow and event). Each
 * session that ends and the run itself print a "session:" / "summary:"
 * line: negotiated parameters, packet and message counts.
 *
 * Not part of `meson test`: docs/interop-rtmfp.md says how it was run
 * against rtmfp-cpp, MonaTiny and librtmfp.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gst/gst.h>

#include "rtmfp.h"
#include "rtmfptc.h"
#include "rtmpcommand.h"
#include "rtmpcontrol.h"
#include "rtmpecrypto.h"

#define P2P_STREAM_ID (RTMFP_TC_P2P_STREAM_BASE + 1)

typedef enum
{
  MODE_PLAY,
  MODE_PUBLISH,
  MODE_P2PPLAY,
  MODE_P2PPUBLISH,
  MODE_SERVE,
} Mode;

typedef struct
{
  guint8 type;
  guint32 ts;
  GBytes *data;
} FlvTag;

typedef struct _Probe Probe;

/* One session and the NetConnection on it. */
typedef struct
{
  Probe *p;
  guint32 session;
  gboolean p2p;
  gboolean answering; /* they called: we answer commands as a server */
  gboolean open;
  /* our stream-0 flow and theirs */
  gboolean has_ctl;
  guint64 ctl;
  gboolean has_far_ctl;
  guint64 far_ctl;
  GHashTable *recv_streams; /* recv flow id -> stream id */
  /* client: the NetStream */
  guint32 stream_id;
  gboolean has_cmd_flow;
  guint64 cmd_flow, audio_flow, video_flow;
  gboolean has_audio_flow, has_video_flow;
  gboolean connected;
  /* server: per stream id, our flow answering it */
  GHashTable *reply_flows; /* stream id -> flow id */
  guint32 next_stream;
  gboolean publishing_in; /* a client publishes to us */
  gboolean playing_out; /* a client plays from us */
} Conn;

struct _Probe
{
  Mode mode;
  gboolean verbose;
  gboolean peer_info;
  RtmfpEndpoint *ep;
  int fd;
  guint64 t_start;
  guint64 t_end;
  gboolean closing;
  guint64 close_deadline;
  int exit_code;

  const gchar *uri;
  gchar *app;
  gchar *stream;
  RtmfpAddress server;
  guint8 peer_id[32];
  GHashTable *conns; /* session -> Conn */
  Conn *main; /* client: the server session */
  Conn *peer; /* p2p: the direct session */
  Conn *pub; /* the session we publish (or replay the file) to */

  /* FLV out */
  FILE *out;
  guint n_audio_rx, n_video_rx, n_data_rx, n_cmd_rx;
  guint n_gaps; /* messages the sender abandoned before this one */
  guint64 bytes_rx;
  /* FLV in (publish, and serve's replay) */
  GPtrArray *tags;
  guint next_tag;
  guint64 pub_t0;
  gboolean pub_started;
  guint n_audio_tx, n_video_tx, n_data_tx;
  gboolean pub_done;
};

static volatile sig_atomic_t interrupted;

static void
on_signal (int sig)
{
  interrupted = 1;
}

static guint64
now_us (void)
{
  return g_get_monotonic_time ();
}

static void logf_ (Probe *p, const gchar *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
logf_ (Probe *p, const gchar *fmt, ...)
{
  va_list ap;
  gchar *s;

  va_start (ap, fmt);
  s = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fprintf (stderr, "[%8.3f] %s\n", (now_us () - p->t_start) / 1e6, s);
  g_free (s);
}

static gchar *
hex (const guint8 *d, gsize n)
{
  gchar *s = g_malloc (2 * n + 1);

  for (gsize i = 0; i < n; i++)
    g_snprintf (s + 2 * i, 3, "%02x", d[i]);
  s[2 * n] = 0;
  return s;
}

/* ---- FLV ------------------------------------------------------------------ */

static void
flv_write_header (FILE *f)
{
  static const guint8 h[13] = { 'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0 };

  fwrite (h, 1, sizeof (h), f);
}

static void
flv_write_tag (FILE *f, guint8 type, guint32 ts, GstBuffer *payload)
{
  gsize n = gst_buffer_get_size (payload);
  guint8 h[11], t[4];
  GstMapInfo map;

  h[0] = type;
  h[1] = n >> 16;
  h[2] = n >> 8;
  h[3] = n;
  h[4] = ts >> 16;
  h[5] = ts >> 8;
  h[6] = ts;
  h[7] = ts >> 24;
  h[8] = h[9] = h[10] = 0;
  fwrite (h, 1, 11, f);
  if (gst_buffer_map (payload, &map, GST_MAP_READ)) {
    fwrite (map.data, 1, map.size, f);
    gst_buffer_unmap (payload, &map);
  }
  n += 11;
  t[0] = n >> 24;
  t[1] = n >> 16;
  t[2] = n >> 8;
  t[3] = n;
  fwrite (t, 1, 4, f);
}

static void
flv_tag_free (gpointer data)
{
  FlvTag *t = data;

  g_bytes_unref (t->data);
  g_free (t);
}

static GPtrArray *
flv_read (const gchar *path, GError **error)
{
  g_autofree gchar *text = NULL;
  gsize len, off;
  const guint8 *d;
  GPtrArray *tags;

  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  d = (const guint8 *) text;
  if (len < 13 || memcmp (d, "FLV", 3) != 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not FLV", path);
    return NULL;
  }
  off = ((guint32) d[5] << 24 | d[6] << 16 | d[7] << 8 | d[8]) + 4;
  tags = g_ptr_array_new_with_free_func (flv_tag_free);
  while (off + 11 <= len) {
    guint32 size = d[off + 1] << 16 | d[off + 2] << 8 | d[off + 3];
    FlvTag *t;

    if (off + 11 + size > len)
      break;
    t = g_new0 (FlvTag, 1);
    t->type = d[off] & 0x1f;
    t->ts = ((guint32) d[off + 7] << 24) | d[off + 4] << 16 | d[off + 5] << 8 |
        d[off + 6];
    t->data = g_bytes_new (d + off + 11, size);
    g_ptr_array_add (tags, t);
    off += 11 + size + 4;
  }
  return tags;
}

/* ---- sending -------------------------------------------------------------- */

static gboolean
send_msg (Probe *p, Conn *c, guint64 flow, RtmpMessage *msg)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = rtmfp_endpoint_send_rtmp (
      p->ep, now_us (), c->session, flow, msg, 0, NULL, &error);

  if (!ok)
    logf_ (p, "send failed: %s", error->message);
  rtmp_message_free (msg);
  return ok;
}

static gboolean
send_cmd (Probe *p, Conn *c, guint64 flow, guint32 stream_id, RtmpCommand *cmd)
{
  g_autoptr (GError) error = NULL;
  RtmpMessage *msg = rtmp_command_to_message (cmd, FALSE, stream_id, &error);

  if (p->verbose) {
    g_autofree gchar *s = rtmp_command_to_string (cmd);

    logf_ (p, "session %08x flow %" G_GUINT64_FORMAT " -> %s", c->session, flow,
        s);
  }
  rtmp_command_free (cmd);
  if (!msg) {
    logf_ (p, "command: %s", error->message);
    return FALSE;
  }
  return send_msg (p, c, flow, msg);
}

static gboolean
open_tc_flow (Probe *p, Conn *c, guint32 stream_id, gboolean has_assoc,
    guint64 assoc, guint64 *flow)
{
  g_autoptr (GError) error = NULL;

  if (!rtmfp_endpoint_open_tc_flow (
          p->ep, c->session, stream_id, has_assoc, assoc, flow, &error)) {
    logf_ (p, "open flow: %s", error->message);
    return FALSE;
  }
  if (p->verbose && has_assoc)
    logf_ (p,
        "session %08x: our flow %" G_GUINT64_FORMAT
        " TC stream %u answering %" G_GUINT64_FORMAT,
        c->session, *flow, stream_id, assoc);
  else if (p->verbose)
    logf_ (p, "session %08x: our flow %" G_GUINT64_FORMAT " TC stream %u",
        c->session, *flow, stream_id);
  return TRUE;
}

/* ---- connections ---------------------------------------------------------- */

static void
conn_free (gpointer data)
{
  Conn *c = data;

  g_hash_table_unref (c->recv_streams);
  g_hash_table_unref (c->reply_flows);
  g_free (c);
}

static Conn *
conn_new (Probe *p, guint32 session)
{
  Conn *c = g_new0 (Conn, 1);

  c->p = p;
  c->session = session;
  c->recv_streams =
      g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  c->reply_flows = g_hash_table_new (g_direct_hash, g_direct_equal);
  c->next_stream = 1;
  g_hash_table_insert (p->conns, GUINT_TO_POINTER (session), c);
  return c;
}

static void
client_connect (Probe *p, Conn *c)
{
  RtmpConnectParams params;
  g_autofree gchar *tc_url = g_strdup (p->uri);
  gchar *hash = strchr (tc_url, '#');

  if (hash)
    *hash = 0;
  if (p->mode == MODE_PUBLISH)
    rtmp_connect_params_init_publish (&params, p->app, tc_url);
  else
    rtmp_connect_params_init (&params, p->app, tc_url);
  params.object_encoding = 3; /* AMF3, as Flash Player and tcconn say */
  if (!open_tc_flow (p, c, 0, FALSE, 0, &c->ctl))
    return;
  c->has_ctl = TRUE;
  send_cmd (p, c, c->ctl, 0, rtmp_command_new_connect (1, &params));
}

static void
start_stream (Probe *p, Conn *c)
{
  if (!c->has_far_ctl) {
    logf_ (p, "no stream-0 flow from the server to associate with");
    return;
  }
  if (!open_tc_flow (p, c, c->stream_id, TRUE, c->far_ctl, &c->cmd_flow))
    return;
  c->has_cmd_flow = TRUE;
  if (p->mode == MODE_PUBLISH)
    send_cmd (p, c, c->cmd_flow, c->stream_id,
        rtmp_command_new_publish (0, p->stream, RTMP_PUBLISH_LIVE));
  else
    send_cmd (p, c, c->cmd_flow, c->stream_id,
        rtmp_command_new_play (0, p->stream, -2, -1, TRUE));
}

static void
start_p2p (Probe *p)
{
  g_autoptr (GError) error = NULL;
  guint32 id = rtmfp_endpoint_connect_peer (
      p->ep, now_us (), p->peer_id, &p->server, 1, &error);

  if (!id) {
    logf_ (p, "P2P connect: %s", error->message);
    p->exit_code = 1;
    return;
  }
  p->peer = conn_new (p, id);
  p->peer->p2p = TRUE;
  logf_ (p, "session %08x: looking for peer through the server", id);
}

static void
p2p_play (Probe *p, Conn *c)
{
  if (!open_tc_flow (p, c, P2P_STREAM_ID, FALSE, 0, &c->cmd_flow))
    return;
  c->has_cmd_flow = TRUE;
  c->stream_id = P2P_STREAM_ID;
  send_cmd (p, c, c->cmd_flow, P2P_STREAM_ID,
      rtmp_command_new_play (0, p->stream, -2, -1, TRUE));
}

/* ---- publishing ----------------------------------------------------------- */

/* a tag's time from the first tag's (an earlier one counts as 0) */
static guint32
rel_ts (guint32 ts, guint32 first)
{
  return ts >= first ? ts - first : 0;
}

static guint64 *
media_flow (Probe *p, Conn *c, guint8 type)
{
  gboolean *has;
  guint64 *flow;

  if (type == RTMP_MESSAGE_TYPE_AUDIO) {
    has = &c->has_audio_flow;
    flow = &c->audio_flow;
  } else if (type == RTMP_MESSAGE_TYPE_VIDEO) {
    has = &c->has_video_flow;
    flow = &c->video_flow;
  } else {
    return &c->cmd_flow;
  }
  if (!*has) {
    guint64 assoc = c->far_ctl;
    gboolean has_assoc = c->has_far_ctl;

    if (!open_tc_flow (p, c, c->stream_id, has_assoc, assoc, flow))
      return NULL;
    *has = TRUE;
  }
  return flow;
}

/* what the far end has not acknowledged yet is enough */
static gboolean
queue_full (Probe *p, Conn *c)
{
  return c->has_video_flow &&
      rtmfp_endpoint_flow_queued (p->ep, c->session, c->video_flow) >
      2 * 1024 * 1024;
}

static void
pump_publish (Probe *p, Conn *c, guint64 now)
{
  guint32 first;

  if (!p->pub_started || p->pub_done || !p->tags || p->tags->len == 0)
    return;
  first = ((FlvTag *) g_ptr_array_index (p->tags, 0))->ts;
  while (p->next_tag < p->tags->len) {
    FlvTag *t = g_ptr_array_index (p->tags, p->next_tag);
    guint64 due = p->pub_t0 + (guint64) rel_ts (t->ts, first) * 1000;
    guint64 *flow;
    GstBuffer *b;
    RtmpMessage *msg;
    gsize len;
    const guint8 *d;

    if (due > now)
      return;
    if (queue_full (p, c))
      return;
    p->next_tag++;
    d = g_bytes_get_data (t->data, &len);
    if (t->type == 18 && c->answering) {
      /* to a player: onMetaData as it is */
      b = gst_buffer_new_memdup (d, len);
    } else if (t->type == 18) {
      /* from a publisher: onMetaData goes out as @setDataFrame */
      static const guint8 sdf[] = { 0x02, 0x00, 0x0d, '@', 's', 'e', 't', 'D',
        'a', 't', 'a', 'F', 'r', 'a', 'm', 'e' };
      guint8 *m = g_malloc (sizeof (sdf) + len);

      memcpy (m, sdf, sizeof (sdf));
      memcpy (m + sizeof (sdf), d, len);
      b = gst_buffer_new_wrapped (m, sizeof (sdf) + len);
    } else if (t->type == 8 || t->type == 9) {
      b = gst_buffer_new_memdup (d, len);
    } else {
      continue;
    }
    flow = media_flow (p, c, t->type);
    if (!flow) {
      gst_buffer_unref (b);
      return;
    }
    msg = rtmp_message_new (t->type, rel_ts (t->ts, first), c->stream_id, b);
    if (send_msg (p, c, *flow, msg)) {
      if (t->type == 8)
        p->n_audio_tx++;
      else if (t->type == 9)
        p->n_video_tx++;
      else
        p->n_data_tx++;
    }
  }
  p->pub_done = TRUE;
  logf_ (p, "published the whole file: %u video, %u audio, %u data messages",
      p->n_video_tx, p->n_audio_tx, p->n_data_tx);
}

static guint64
publish_wake (Probe *p)
{
  FlvTag *t, *first;

  if (!p->pub_started || p->pub_done || p->next_tag >= p->tags->len)
    return G_MAXUINT64;
  if (p->pub && queue_full (p, p->pub))
    return now_us () + 10 * 1000;
  t = g_ptr_array_index (p->tags, p->next_tag);
  first = g_ptr_array_index (p->tags, 0);
  return p->pub_t0 + (guint64) rel_ts (t->ts, first->ts) * 1000;
}

/* ---- received messages ---------------------------------------------------- */

static void
count_media (Probe *p, RtmpMessage *msg)
{
  p->bytes_rx += gst_buffer_get_size (msg->payload);
  if (msg->type == RTMP_MESSAGE_TYPE_AUDIO)
    p->n_audio_rx++;
  else
    p->n_video_rx++;
  if (p->out)
    flv_write_tag (p->out, msg->type, msg->timestamp, msg->payload);
}

static void
server_command (
    Probe *p, Conn *c, guint64 flow, guint32 stream_id, RtmpCommand *cmd)
{
  if (rtmp_command_is (cmd, "connect")) {
    if (!c->has_ctl) {
      if (!open_tc_flow (p, c, 0, TRUE, flow, &c->ctl))
        return;
      c->has_ctl = TRUE;
    }
    send_cmd (p, c, c->ctl, 0,
        rtmp_command_new_connect_result (cmd->transaction_id, 3));
  } else if (rtmp_command_is (cmd, "createStream") && c->has_ctl) {
    send_cmd (p, c, c->ctl, 0,
        rtmp_command_new_create_stream_result (
            cmd->transaction_id, c->next_stream++));
  } else if (rtmp_command_is (cmd, "publish") ||
      rtmp_command_is (cmd, "play")) {
    gboolean pub = rtmp_command_is (cmd, "publish");
    guint64 reply, assoc;

    /* NetStream replies answer the client's stream-0 flow, not the flow
     * the command came on: rtmfp-cpp's clients take only flows associated
     * with their control flow (tcserver and Mona do so). A P2P player
     * (librtmfp) has no stream-0 flow: answer its play flow. */
    assoc = c->has_far_ctl ? c->far_ctl : flow;
    if (!g_hash_table_contains (c->reply_flows, GUINT_TO_POINTER (stream_id))) {
      if (!open_tc_flow (p, c, stream_id, TRUE, assoc, &reply))
        return;
      g_hash_table_insert (c->reply_flows, GUINT_TO_POINTER (stream_id),
          GSIZE_TO_POINTER ((gsize) reply));
    } else {
      reply = GPOINTER_TO_SIZE (
          g_hash_table_lookup (c->reply_flows, GUINT_TO_POINTER (stream_id)));
    }
    if (pub) {
      c->publishing_in = TRUE;
      send_cmd (p, c, reply, stream_id,
          rtmp_command_new_on_status (
              "status", "NetStream.Publish.Start", "publishing", NULL));
    } else {
      send_msg (p, c, reply, rtmp_user_control_new_stream_begin (stream_id));
      send_cmd (p, c, reply, stream_id,
          rtmp_command_new_on_status (
              "status", "NetStream.Play.Reset", "reset", NULL));
      send_cmd (p, c, reply, stream_id,
          rtmp_command_new_on_status (
              "status", "NetStream.Play.Start", "playing", NULL));
      if (p->tags && !p->pub) {
        c->playing_out = TRUE;
        c->stream_id = stream_id;
        c->cmd_flow = reply;
        c->has_far_ctl = TRUE;
        c->far_ctl = assoc;
        p->pub = c;
        p->pub_started = TRUE;
        p->pub_t0 = now_us ();
      }
    }
  } else if (rtmp_command_is (cmd, "deleteStream") ||
      rtmp_command_is (cmd, "closeStream")) {
    if (c->publishing_in)
      logf_ (p, "session %08x: publisher stopped", c->session);
    c->publishing_in = FALSE;
  } else if (cmd->transaction_id > 0 && c->has_ctl && stream_id == 0) {
    /* answer anything else that wants an answer */
    send_cmd (p, c, c->ctl, 0,
        rtmp_command_new_result (cmd->transaction_id, NULL, NULL));
  }
}

static void
client_command (
    Probe *p, Conn *c, guint64 flow, guint32 stream_id, RtmpCommand *cmd)
{
  const gchar *level = NULL, *code = NULL, *desc = NULL;

  rtmp_command_get_status (cmd, &level, &code, &desc);
  if (rtmp_command_is (cmd, "_result") && cmd->transaction_id == 1 &&
      !c->connected) {
    c->connected = TRUE;
    logf_ (
        p, "session %08x: connected (%s)", c->session, code ? code : "no code");
    if (p->peer_info)
      send_cmd (p, c, c->ctl, 0, rtmp_command_new ("setPeerInfo", 0, NULL));
    if (p->mode == MODE_P2PPLAY) {
      start_p2p (p);
      return;
    }
    if (p->mode == MODE_P2PPUBLISH) {
      logf_ (p, "waiting for P2P players");
      return;
    }
    send_cmd (p, c, c->ctl, 0, rtmp_command_new_create_stream (2));
  } else if (rtmp_command_is (cmd, "_result") && cmd->transaction_id == 2 &&
      c->stream_id == 0) {
    if (!rtmp_command_get_stream_id (cmd, &c->stream_id) || c->stream_id == 0) {
      logf_ (p, "createStream: no stream id");
      p->exit_code = 1;
      return;
    }
    logf_ (p, "session %08x: stream %u", c->session, c->stream_id);
    start_stream (p, c);
  } else if (rtmp_command_is (cmd, "_error")) {
    logf_ (p, "session %08x: _error %g: %s %s", c->session, cmd->transaction_id,
        code ? code : "", desc ? desc : "");
  } else if (rtmp_command_is (cmd, "onStatus")) {
    logf_ (p, "session %08x stream %u: %s %s", c->session, stream_id,
        code ? code : "?", level ? level : "");
    if (p->mode == MODE_PUBLISH && code &&
        g_str_equal (code, "NetStream.Publish.Start") && !p->pub_started) {
      p->pub_started = TRUE;
      p->pub_t0 = now_us ();
    }
  }
}

static void
on_message (Probe *p, Conn *c, RtmfpEvent *ev)
{
  gpointer sp = g_hash_table_lookup (c->recv_streams, &ev->flow);
  guint32 stream_id = sp ? GPOINTER_TO_UINT (sp) - 1 : 0;
  g_autoptr (RtmpMessage) msg = rtmfp_tc_message_decode (ev->data, stream_id);
  g_autoptr (GError) error = NULL;

  if (!sp || !msg)
    return;
  switch (msg->type) {
    case RTMP_MESSAGE_TYPE_AUDIO:
    case RTMP_MESSAGE_TYPE_VIDEO:
      count_media (p, msg);
      break;
    case RTMP_MESSAGE_TYPE_USER_CONTROL: {
      RtmpUserControl uc;
      GstMapInfo map;

      if (!rtmp_user_control_parse (msg, &uc, NULL))
        break;
      if (p->verbose)
        logf_ (p,
            "session %08x flow %" G_GUINT64_FORMAT ": user control %s (%u)",
            c->session, ev->flow, rtmp_user_control_event_name (uc.event),
            uc.stream_id);
      /* 41: Set Keepalive (server ms, peer ms) */
      if (uc.event == 41 && gst_buffer_map (msg->payload, &map, GST_MAP_READ)) {
        if (map.size >= 10) {
          guint32 ms = (guint32) map.data[2] << 24 | map.data[3] << 16 |
              map.data[4] << 8 | map.data[5];

          logf_ (p, "session %08x: Set Keepalive %u ms", c->session, ms);
          rtmfp_endpoint_set_keepalive (p->ep, c->session, (guint64) ms * 1000);
        }
        gst_buffer_unmap (msg->payload, &map);
      }
      break;
    }
    case RTMP_MESSAGE_TYPE_COMMAND_AMF0:
    case RTMP_MESSAGE_TYPE_COMMAND_AMF3:
    case RTMP_MESSAGE_TYPE_DATA_AMF0:
    case RTMP_MESSAGE_TYPE_DATA_AMF3: {
      g_autoptr (RtmpCommand) cmd = rtmp_command_parse (msg, &error);

      if (!cmd) {
        logf_ (p, "session %08x: unparsable command: %s", c->session,
            error->message);
        break;
      }
      p->n_cmd_rx++;
      if (p->verbose) {
        g_autofree gchar *s = rtmp_command_to_string (cmd);

        logf_ (p, "session %08x flow %" G_GUINT64_FORMAT " stream %u <- %s",
            c->session, ev->flow, stream_id, s);
      }
      if (cmd->is_data) {
        const AmfValue *md = rtmp_command_get_metadata (cmd);

        p->n_data_rx++;
        if (md && p->out && msg->type == RTMP_MESSAGE_TYPE_DATA_AMF0) {
          /* onMetaData as a script tag (without @setDataFrame) */
          RtmpCommand *om = rtmp_command_new_on_metadata (amf_value_copy (md));
          RtmpMessage *m = rtmp_command_to_message (om, FALSE, 0, NULL);

          if (m) {
            flv_write_tag (p->out, 18, msg->timestamp, m->payload);
            rtmp_message_free (m);
          }
          rtmp_command_free (om);
        }
        break;
      }
      if (c->answering)
        server_command (p, c, ev->flow, stream_id, cmd);
      else
        client_command (p, c, ev->flow, stream_id, cmd);
      break;
    }
    default:
      if (p->verbose)
        logf_ (p, "session %08x: message type %u (%s) ignored", c->session,
            msg->type, rtmp_message_type_name (msg->type));
      break;
  }
}

static void
on_flow_open (Probe *p, Conn *c, RtmfpEvent *ev)
{
  gsize len;
  const guint8 *md = g_bytes_get_data (ev->metadata, &len);
  guint32 sid;
  gboolean net;
  guint64 *key;

  if (!rtmfp_tc_metadata_parse (md, len, &sid, &net)) {
    g_autofree gchar *h = hex (md, len);

    logf_ (p,
        "session %08x: flow %" G_GUINT64_FORMAT " with metadata %s: "
        "not TC, rejected",
        c->session, ev->flow, h);
    rtmfp_endpoint_reject_flow (p->ep, c->session, ev->flow, 0);
    return;
  }
  if (p->verbose)
    logf_ (p,
        "session %08x: their flow %" G_GUINT64_FORMAT
        " TC stream %u%s, association %" G_GINT64_FORMAT,
        c->session, ev->flow, sid, net ? " (network order)" : "",
        ev->has_association ? (gint64) ev->association : -1);
  key = g_new (guint64, 1);
  *key = ev->flow;
  g_hash_table_insert (c->recv_streams, key, GUINT_TO_POINTER (sid + 1));
  if (sid == 0 && !c->has_far_ctl) {
    c->has_far_ctl = TRUE;
    c->far_ctl = ev->flow;
  }
}

static void
on_session_open (Probe *p, RtmfpEvent *ev)
{
  RtmfpSessionInfo si;
  Conn *c = g_hash_table_lookup (p->conns, GUINT_TO_POINTER (ev->session));
  g_autofree gchar *pid = hex (ev->peer_id, 32);
  gchar ab[64];

  rtmfp_endpoint_get_session_info (p->ep, ev->session, &si);
  logf_ (p,
      "session %08x open (%s) with %s, peer %s: DH group %" G_GUINT64_FORMAT
      ", HMAC %s/%s, SSEQ %s/%s",
      ev->session, ev->responder ? "they called" : "we called",
      rtmfp_address_to_string (&ev->address, ab), pid, si.dh_group,
      si.send_hmac ? "tx" : "-", si.recv_hmac ? "rx" : "-",
      si.send_sseq ? "tx" : "-", si.recv_sseq ? "rx" : "-");
  if (!c)
    c = conn_new (p, ev->session);
  c->open = TRUE;
  c->answering = ev->responder;
  c->p2p = c->p2p || (ev->responder && p->mode != MODE_SERVE);
  if (c->answering)
    return;
  if (c == p->main)
    client_connect (p, c);
  else if (c == p->peer)
    p2p_play (p, c);
}

static void
handle_event (Probe *p, RtmfpEvent *ev)
{
  Conn *c = g_hash_table_lookup (p->conns, GUINT_TO_POINTER (ev->session));

  switch (ev->type) {
    case RTMFP_EVENT_SESSION_OPEN:
      on_session_open (p, ev);
      break;
    case RTMFP_EVENT_SESSION_FAILED:
      logf_ (p, "session %08x failed: %s", ev->session, ev->reason);
      if (p->mode != MODE_SERVE)
        p->exit_code = 1;
      break;
    case RTMFP_EVENT_SESSION_CLOSED: {
      RtmfpSessionInfo si;

      logf_ (p, "session %08x closed: %s", ev->session, ev->reason);
      if (rtmfp_endpoint_get_session_info (p->ep, ev->session, &si))
        logf_ (p,
            "session: %08x%s group=%" G_GUINT64_FORMAT " hmac=%s/%s "
            "sseq=%s/%s pkts_tx=%" G_GUINT64_FORMAT
            " pkts_rx=%" G_GUINT64_FORMAT " rtx=%" G_GUINT64_FORMAT
            " bytes_rx=%" G_GUINT64_FORMAT,
            ev->session, c && c->p2p ? "(p2p)" : "", si.dh_group,
            si.send_hmac ? "tx" : "-", si.recv_hmac ? "rx" : "-",
            si.send_sseq ? "tx" : "-", si.recv_sseq ? "rx" : "-",
            si.packets_sent, si.packets_received, si.retransmissions,
            si.bytes_received);
      if (c)
        c->open = FALSE;
      break;
    }
    case RTMFP_EVENT_FLOW_OPEN:
      if (c)
        on_flow_open (p, c, ev);
      break;
    case RTMFP_EVENT_MESSAGE:
      if (ev->discontinuity) {
        p->n_gaps++;
        logf_ (p,
            "session %08x flow %" G_GUINT64_FORMAT
            ": messages before this one were abandoned by the sender",
            ev->session, ev->flow);
      }
      if (c)
        on_message (p, c, ev);
      break;
    case RTMFP_EVENT_FLOW_COMPLETE:
      if (p->verbose)
        logf_ (p, "session %08x: their flow %" G_GUINT64_FORMAT " complete",
            ev->session, ev->flow);
      break;
    case RTMFP_EVENT_FLOW_REJECTED:
      logf_ (p,
          "session %08x: our flow %" G_GUINT64_FORMAT
          " rejected (exception %" G_GUINT64_FORMAT ")",
          ev->session, ev->flow, ev->code);
      break;
    case RTMFP_EVENT_FLOW_CLOSED:
      break;
  }
}

/* ---- socket --------------------------------------------------------------- */

static void
addr_from_sockaddr (const struct sockaddr_in *sa, RtmfpAddress *a)
{
  const guint8 *b = (const guint8 *) &sa->sin_addr.s_addr;

  rtmfp_address_set_ipv4 (a, b[0], b[1], b[2], b[3], ntohs (sa->sin_port));
}

static void
sockaddr_from_addr (const RtmfpAddress *a, struct sockaddr_in *sa)
{
  memset (sa, 0, sizeof (*sa));
  sa->sin_family = AF_INET;
  sa->sin_port = htons (a->port);
  memcpy (&sa->sin_addr.s_addr, a->addr, 4);
}

static void
flush (Probe *p)
{
  gboolean again = TRUE;

  while (again) {
    RtmfpEvent ev;
    GBytes *d;
    RtmfpAddress to;

    again = FALSE;
    while (rtmfp_endpoint_pop_event (p->ep, &ev)) {
      handle_event (p, &ev);
      rtmfp_event_clear (&ev);
      again = TRUE;
    }
    if (p->pub && p->pub->open)
      pump_publish (p, p->pub, now_us ());
    while ((d = rtmfp_endpoint_pull_datagram (p->ep, now_us (), &to))) {
      struct sockaddr_in sa;
      gsize len;
      const guint8 *data = g_bytes_get_data (d, &len);

      if (to.family == 4) {
        sockaddr_from_addr (&to, &sa);
        if (sendto (p->fd, data, len, 0, (struct sockaddr *) &sa, sizeof (sa)) <
                0 &&
            errno != EAGAIN)
          logf_ (p, "sendto: %s", g_strerror (errno));
      }
      g_bytes_unref (d);
      again = TRUE;
    }
  }
}

static gboolean
parse_host_port (const gchar *s, guint16 def_port, RtmfpAddress *a)
{
  g_auto (GStrv) hp = g_strsplit (s, ":", 2);
  struct in_addr in;
  const guint8 *b = (const guint8 *) &in.s_addr;
  guint port = def_port;

  if (inet_pton (AF_INET, hp[0], &in) != 1)
    return FALSE;
  if (hp[1])
    port = atoi (hp[1]);
  rtmfp_address_set_ipv4 (a, b[0], b[1], b[2], b[3], port);
  return TRUE;
}

/* rtmfp://HOST[:PORT]/APP */
static gboolean
parse_uri (Probe *p, const gchar *uri)
{
  const gchar *rest;
  g_autofree gchar *hostport = NULL;
  const gchar *slash;

  if (!g_str_has_prefix (uri, "rtmfp://"))
    return FALSE;
  rest = uri + 8;
  slash = strchr (rest, '/');
  if (!slash)
    return FALSE;
  hostport = g_strndup (rest, slash - rest);
  if (!parse_host_port (hostport, 1935, &p->server))
    return FALSE;
  p->app = g_strndup (slash + 1, strcspn (slash + 1, "#?"));
  return TRUE;
}

static gboolean
parse_groups (const gchar *s, RtmfpConfig *cfg)
{
  g_auto (GStrv) g = g_strsplit (s, ",", -1);

  cfg->n_groups = 0;
  for (guint i = 0; g[i] && cfg->n_groups < 4; i++)
    cfg->groups[cfg->n_groups++] = g_ascii_strtoull (g[i], NULL, 10);
  return cfg->n_groups > 0;
}

static void
print_summary (Probe *p)
{
  GString *s = g_string_new ("summary:");
  GHashTableIter it;
  gpointer k, v;
  const RtmfpStats *st = rtmfp_endpoint_get_stats (p->ep);

  g_hash_table_iter_init (&it, p->conns);
  while (g_hash_table_iter_next (&it, &k, &v)) {
    Conn *c = v;
    RtmfpSessionInfo si;

    if (!rtmfp_endpoint_get_session_info (p->ep, c->session, &si))
      continue;
    g_string_append_printf (s,
        " session=%08x%s group=%" G_GUINT64_FORMAT " hmac=%s/%s sseq=%s/%s"
        " pkts_tx=%" G_GUINT64_FORMAT " pkts_rx=%" G_GUINT64_FORMAT
        " rtx=%" G_GUINT64_FORMAT " srtt_us=%" G_GUINT64_FORMAT,
        c->session, c->p2p ? "(p2p)" : "", si.dh_group,
        si.send_hmac ? "tx" : "-", si.recv_hmac ? "rx" : "-",
        si.send_sseq ? "tx" : "-", si.recv_sseq ? "rx" : "-", si.packets_sent,
        si.packets_received, si.retransmissions, si.srtt);
  }
  g_string_append_printf (s,
      " video_rx=%u audio_rx=%u data_rx=%u cmd_rx=%u gaps_rx=%u "
      "bytes_rx=%" G_GUINT64_FORMAT " video_tx=%u audio_tx=%u data_tx=%u"
      " dgrams_rx=%" G_GUINT64_FORMAT " dgrams_tx=%" G_GUINT64_FORMAT
      " dropped_hmac=%" G_GUINT64_FORMAT " dropped_cksum=%" G_GUINT64_FORMAT
      " dropped_unknown=%" G_GUINT64_FORMAT " malformed=%" G_GUINT64_FORMAT
      " unexpected=%" G_GUINT64_FORMAT " refused=%" G_GUINT64_FORMAT,
      p->n_video_rx, p->n_audio_rx, p->n_data_rx, p->n_cmd_rx, p->n_gaps,
      p->bytes_rx, p->n_video_tx, p->n_audio_tx, p->n_data_tx,
      st->datagrams_received, st->datagrams_sent, st->dropped_hmac,
      st->dropped_checksum, st->dropped_unknown_session, st->chunks_malformed,
      st->chunks_unexpected, st->handshakes_refused);
  printf ("%s\n", s->str);
  fflush (stdout);
  g_string_free (s, TRUE);
}

/* the whole file was queued and acknowledged */
static gboolean
published (Probe *p)
{
  Conn *c = p->pub;

  return p->pub_done && c && c->has_video_flow &&
      rtmfp_endpoint_flow_queued (p->ep, c->session, c->video_flow) == 0 &&
      rtmfp_endpoint_flow_queued (p->ep, c->session, c->audio_flow) == 0;
}

static void
begin_close (Probe *p)
{
  GHashTableIter it;
  gpointer k, v;

  if (p->closing)
    return;
  p->closing = TRUE;
  /* long enough for a Close Request to be resent (every 5 s): a peer
   * that keeps the session open ignores a new session from this address
   * (rtmfp-cpp) */
  p->close_deadline = now_us () + 12 * G_USEC_PER_SEC;
  print_summary (p);
  g_hash_table_iter_init (&it, p->conns);
  while (g_hash_table_iter_next (&it, &k, &v)) {
    Conn *c = v;

    if (c->open)
      rtmfp_endpoint_close_session (p->ep, now_us (), c->session, FALSE);
  }
}

static gboolean
all_closed (Probe *p)
{
  GHashTableIter it;
  gpointer k, v;
  RtmfpSessionInfo si;

  g_hash_table_iter_init (&it, p->conns);
  while (g_hash_table_iter_next (&it, &k, &v)) {
    Conn *c = v;

    /* a session is kept until its close is acknowledged */
    if (rtmfp_endpoint_get_session_info (p->ep, c->session, &si))
      return FALSE;
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  Probe probe = { 0 }, *p = &probe;
  gint seconds = 20;
  g_autofree gchar *out_path = NULL, *in_path = NULL, *peer_hex = NULL;
  g_autofree gchar *bind_s = NULL, *groups = NULL, *hmac_s = NULL;
  g_autofree gchar *sseq_s = NULL;
  gboolean verbose = FALSE, peer_info = FALSE;
  GOptionEntry entries[] = {
    { "seconds", 't', 0, G_OPTION_ARG_INT, &seconds, "run time", "S" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_path, "FLV out", "F" },
    { "in", 'i', 0, G_OPTION_ARG_FILENAME, &in_path, "FLV in", "F" },
    { "peer", 'p', 0, G_OPTION_ARG_STRING, &peer_hex, "peer ID (hex)", "ID" },
    { "bind", 'b', 0, G_OPTION_ARG_STRING, &bind_s, "local address", "A:P" },
    { "groups", 'g', 0, G_OPTION_ARG_STRING, &groups, "DH groups", "16,14,2" },
    { "hmac", 'H', 0, G_OPTION_ARG_STRING, &hmac_s, "HMAC flags (hex)", "X" },
    { "sseq", 'S', 0, G_OPTION_ARG_STRING, &sseq_s, "SSEQ flags (hex)", "X" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "log commands", NULL },
    { "peer-info", 'P', 0, G_OPTION_ARG_NONE, &peer_info,
        "send setPeerInfo (to be introduced to P2P initiators)", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (
      "play|publish|p2pplay|p2ppublish URI STREAM | serve  - RTMFP live "
      "probe");
  g_autoptr (GError) error = NULL;
  RtmfpConfig cfg;
  RtmfpAddress local = { 0 };
  struct sockaddr_in sa;
  socklen_t sl = sizeof (sa);
  gchar ab[64];

  gst_init (&argc, &argv);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  p->t_start = now_us ();
  p->verbose = verbose;
  p->peer_info = peer_info;
  p->conns =
      g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, conn_free);
  if (argc >= 2 && g_str_equal (argv[1], "serve")) {
    p->mode = MODE_SERVE;
  } else if (argc >= 4) {
    if (g_str_equal (argv[1], "play"))
      p->mode = MODE_PLAY;
    else if (g_str_equal (argv[1], "publish"))
      p->mode = MODE_PUBLISH;
    else if (g_str_equal (argv[1], "p2pplay"))
      p->mode = MODE_P2PPLAY;
    else if (g_str_equal (argv[1], "p2ppublish"))
      p->mode = MODE_P2PPUBLISH;
    else
      goto usage;
    p->uri = argv[2];
    p->stream = g_strdup (argv[3]);
    if (!parse_uri (p, p->uri)) {
      g_printerr ("URI: rtmfp://IPV4[:PORT]/APP\n");
      return 2;
    }
  } else {
    goto usage;
  }
  if ((p->mode == MODE_PUBLISH || p->mode == MODE_P2PPUBLISH) && !in_path)
    goto usage;
  if (p->mode == MODE_P2PPLAY) {
    gsize n = peer_hex ? strlen (peer_hex) : 0;

    if (n != 64)
      goto usage;
    for (guint i = 0; i < 32; i++)
      p->peer_id[i] = g_ascii_xdigit_value (peer_hex[2 * i]) << 4 |
          g_ascii_xdigit_value (peer_hex[2 * i + 1]);
  }
  if (in_path) {
    p->tags = flv_read (in_path, &error);
    if (!p->tags) {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  }
  if (out_path) {
    p->out = fopen (out_path, "wb");
    if (!p->out) {
      g_printerr ("%s: %s\n", out_path, g_strerror (errno));
      return 2;
    }
    flv_write_header (p->out);
  }

  rtmfp_config_init (&cfg, rtmpe_crypto_openssl (), p->mode == MODE_SERVE);
  if (groups && !parse_groups (groups, &cfg))
    goto usage;
  if (hmac_s)
    cfg.hmac_flags = g_ascii_strtoull (hmac_s, NULL, 16);
  if (sseq_s)
    cfg.sseq_flags = g_ascii_strtoull (sseq_s, NULL, 16);
  p->ep = rtmfp_endpoint_new (&cfg, now_us (), &error);
  if (!p->ep) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  {
    g_autofree gchar *id = hex (rtmfp_endpoint_get_peer_id (p->ep), 32);

    logf_ (p, "our peer ID %s", id);
  }

  p->fd = socket (AF_INET, SOCK_DGRAM, 0);
  if (bind_s && !parse_host_port (bind_s, 1935, &local))
    goto usage;
  if (!bind_s)
    rtmfp_address_set_ipv4 (&local, 127, 0, 0, 1, 0);
  sockaddr_from_addr (&local, &sa);
  if (p->fd < 0 || bind (p->fd, (struct sockaddr *) &sa, sizeof (sa)) < 0) {
    g_printerr ("bind: %s\n", g_strerror (errno));
    return 2;
  }
  getsockname (p->fd, (struct sockaddr *) &sa, &sl);
  addr_from_sockaddr (&sa, &local);
  fcntl (p->fd, F_SETFL, O_NONBLOCK);
  logf_ (p, "UDP socket %s", rtmfp_address_to_string (&local, ab));

  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);
  p->t_end = seconds > 0 ? now_us () + (guint64) seconds * G_USEC_PER_SEC :
                           G_MAXUINT64;

  if (p->mode != MODE_SERVE) {
    guint32 id = rtmfp_endpoint_connect_uri (
        p->ep, now_us (), p->uri, &p->server, &error);

    if (!id) {
      g_printerr ("%s\n", error->message);
      return 1;
    }
    p->main = conn_new (p, id);
    if (p->mode == MODE_PUBLISH)
      p->pub = p->main;
    logf_ (p, "session %08x: connecting to %s", id,
        rtmfp_address_to_string (&p->server, ab));
  }

  for (;;) {
    guint64 now = now_us ();
    guint64 deadline, wake;
    struct pollfd pfd = { p->fd, POLLIN, 0 };
    int timeout;

    /* events first: advance frees sessions that closed, and their
     * statistics with them */
    flush (p);
    if (now >= rtmfp_endpoint_next_deadline (p->ep))
      rtmfp_endpoint_advance (p->ep, now);
    flush (p);
    if (!p->closing &&
        (interrupted || now >= p->t_end || p->exit_code ||
            (p->mode == MODE_PUBLISH && published (p))))
      begin_close (p);
    if (p->closing) {
      flush (p);
      if (all_closed (p) || now >= p->close_deadline)
        break;
    }
    deadline = rtmfp_endpoint_next_deadline (p->ep);
    wake = MIN (deadline, publish_wake (p));
    now = now_us ();
    if (wake <= now)
      timeout = 0;
    else
      timeout = MIN ((wake - now + 999) / 1000, 100);
    if (poll (&pfd, 1, timeout) > 0 && (pfd.revents & POLLIN)) {
      guint8 buf[8192];

      for (;;) {
        struct sockaddr_in from;
        socklen_t fl = sizeof (from);
        ssize_t n = recvfrom (
            p->fd, buf, sizeof (buf), 0, (struct sockaddr *) &from, &fl);
        RtmfpAddress a;

        if (n < 0)
          break;
        addr_from_sockaddr (&from, &a);
        rtmfp_endpoint_receive (p->ep, now_us (), &a, buf, n);
      }
    }
  }
  if (p->out)
    fclose (p->out);
  logf_ (p,
      "done: video %u audio %u data %u received, video %u audio %u "
      "data %u sent",
      p->n_video_rx, p->n_audio_rx, p->n_data_rx, p->n_video_tx, p->n_audio_tx,
      p->n_data_tx);
  g_hash_table_unref (p->conns);
  rtmfp_endpoint_free (p->ep);
  if (p->tags)
    g_ptr_array_unref (p->tags);
  close (p->fd);
  g_free (p->app);
  g_free (p->stream);
  return p->exit_code;

usage:
  g_printerr ("%s", g_option_context_get_help (ctx, TRUE, NULL));
  return 2;
}
