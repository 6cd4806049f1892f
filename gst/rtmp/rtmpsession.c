/* gst-rtmpe: one RTMP session above the handshake, client or server side
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmpsession.h"
#include "rtmpchunk.h"
#include "rtmpcommand.h"
#include "rtmpcontrol.h"
#include "rtmperror.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rtmp_session_debug);
#define GST_CAT_DEFAULT rtmp_session_debug

/* streams one connection may create (a player or publisher needs one) */
#define MAX_STREAMS 16

typedef enum
{
  CLIENT_IDLE,
  CLIENT_CONNECTING, /* connect sent */
  CLIENT_CREATING_STREAM, /* createStream sent */
  CLIENT_STARTING, /* play or publish sent */
  CLIENT_STARTED,
  CLIENT_STOPPED, /* unpublished, or the stream ended */
  CLIENT_FAILED,
} ClientState;

typedef enum
{
  STREAM_CREATED,
  STREAM_PUBLISH_PENDING,
  STREAM_PUBLISHING,
  STREAM_PLAY_PENDING,
  STREAM_PLAYING,
} StreamState;

typedef struct
{
  guint32 id;
  StreamState state;
  gchar *name;
} ServerStream;

struct _RtmpSession
{
  gboolean server;

  /* client */
  gchar *app;
  gchar *tc_url;
  gchar *page_url;
  gchar *swf_url;
  gchar *flash_version;
  GPtrArray *connect_args;
  gchar *stream;
  gboolean publish;
  gchar *publish_type;
  guint32 buffer_length;
  gboolean fourcc_list;
  ClientState state;
  guint32 stream_id;

  /* server */
  gdouble connect_txid;
  gboolean connect_pending;
  gboolean connected;
  gdouble object_encoding;
  guint32 next_stream_id;
  GArray *streams; /* ServerStream */
  guint32 peer_bandwidth;

  /* both */
  gboolean message_mode;
  GQueue out_messages; /* message mode: RtmpMessage to send */
  guint32 chunk_size;
  guint32 window_ack_size;
  RtmpChunkReader *reader;
  RtmpChunkWriter *writer;
  RtmpOutQueue *out;
  RtmpTransactions *transactions;
  GQueue events;
  guint32 peer_acked; /* sequence number of the peer's last ack */
  guint64 peer_acked_total; /* ... unwrapped */
  guint32 peer_window; /* the peer's Set Peer Bandwidth */
  guint32 announced_window; /* the last Window Ack Size we sent */
  guint32 ping_sent; /* the timestamp of our outstanding ping */
  gboolean ping_outstanding;
};

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmp_session_debug, "rtmpe-session", 0,
        "RTMP sessions: NetConnection and NetStream commands, control");
    g_once_init_leave (&once, 1);
  }
}

const gchar *
rtmp_session_event_type_name (RtmpSessionEventType type)
{
  static const gchar *names[] = { "connected", "started", "media", "eos",
    "error", "status", "connect-request", "publish-request", "play-request",
    "pong" };

  return type < G_N_ELEMENTS (names) ? names[type] : "unknown";
}

void
rtmp_session_event_free (RtmpSessionEvent *ev)
{
  if (!ev)
    return;
  rtmp_message_free (ev->message);
  g_clear_error (&ev->error);
  g_free (ev->code);
  g_free (ev->description);
  g_free (ev->app);
  g_free (ev->tc_url);
  g_free (ev->stream);
  g_free (ev);
}

static RtmpSessionEvent *
event_new (RtmpSession *s, RtmpSessionEventType type)
{
  RtmpSessionEvent *ev = g_new0 (RtmpSessionEvent, 1);

  ev->type = type;
  g_queue_push_tail (&s->events, ev);
  return ev;
}

static void
common_init (RtmpSession *s)
{
  debug_init ();
  s->reader = rtmp_chunk_reader_new ();
  s->writer = rtmp_chunk_writer_new ();
  s->out = rtmp_out_queue_new ();
  s->transactions = rtmp_transactions_new ();
  g_queue_init (&s->events);
  g_queue_init (&s->out_messages);
}

RtmpSession *
rtmp_session_new_client (const RtmpClientConfig *config)
{
  RtmpSession *s = g_new0 (RtmpSession, 1);

  common_init (s);
  s->app = g_strdup (config->app);
  s->tc_url = g_strdup (config->tc_url);
  s->page_url = g_strdup (config->page_url);
  s->swf_url = g_strdup (config->swf_url);
  s->flash_version = g_strdup (config->flash_version);
  s->connect_args =
      g_ptr_array_new_with_free_func ((GDestroyNotify) amf_value_free);
  for (guint i = 0; config->connect_args && i < config->connect_args->len; i++)
    g_ptr_array_add (s->connect_args,
        amf_value_copy (g_ptr_array_index (config->connect_args, i)));
  s->stream = g_strdup (config->stream);
  s->publish = config->publish;
  s->publish_type =
      g_strdup (config->publish_type ? config->publish_type : "live");
  s->buffer_length = config->buffer_length;
  s->chunk_size = config->chunk_size;
  s->window_ack_size = config->window_ack_size;
  s->fourcc_list = config->fourcc_list;
  s->state = CLIENT_IDLE;
  return s;
}

RtmpSession *
rtmp_session_new_server (const RtmpServerConfig *config)
{
  RtmpSession *s = g_new0 (RtmpSession, 1);

  common_init (s);
  s->server = TRUE;
  s->chunk_size = config->chunk_size;
  s->window_ack_size =
      config->window_ack_size ? config->window_ack_size : 2500000;
  s->peer_bandwidth =
      config->peer_bandwidth ? config->peer_bandwidth : s->window_ack_size;
  s->next_stream_id = 1;
  s->streams = g_array_new (FALSE, TRUE, sizeof (ServerStream));
  return s;
}

void
rtmp_session_free (RtmpSession *s)
{
  RtmpSessionEvent *ev;

  if (!s)
    return;
  g_free (s->app);
  g_free (s->tc_url);
  g_free (s->page_url);
  g_free (s->swf_url);
  g_free (s->flash_version);
  if (s->connect_args)
    g_ptr_array_unref (s->connect_args);
  g_free (s->stream);
  g_free (s->publish_type);
  if (s->streams) {
    for (guint i = 0; i < s->streams->len; i++)
      g_free (g_array_index (s->streams, ServerStream, i).name);
    g_array_unref (s->streams);
  }
  rtmp_chunk_reader_free (s->reader);
  rtmp_chunk_writer_free (s->writer);
  rtmp_out_queue_free (s->out);
  rtmp_transactions_free (s->transactions);
  while ((ev = g_queue_pop_head (&s->events)))
    rtmp_session_event_free (ev);
  g_queue_clear_full (&s->out_messages, (GDestroyNotify) rtmp_message_free);
  g_free (s);
}

void
rtmp_session_set_message_mode (RtmpSession *s, gboolean message_mode)
{
  s->message_mode = message_mode;
}

RtmpMessage *
rtmp_session_pop_message (RtmpSession *s)
{
  return g_queue_pop_head (&s->out_messages);
}

RtmpOutQueue *
rtmp_session_get_out_queue (RtmpSession *s)
{
  return s->out;
}

RtmpSessionEvent *
rtmp_session_pop_event (RtmpSession *s)
{
  return g_queue_pop_head (&s->events);
}

/* ---- sending ------------------------------------------------------------- */

/* Writes @msg (taken). Our own messages always fit the writer's rules. */
/* Whether a message belongs to the chunk stream itself (and so has no place
 * over a transport of whole messages). */
static gboolean
is_chunk_stream_control (const RtmpMessage *msg)
{
  if (msg->type == RTMP_MESSAGE_TYPE_USER_CONTROL) {
    RtmpUserControl uc;

    /* pings: RTMFP keeps sessions alive by itself */
    return rtmp_user_control_parse (msg, &uc, NULL) &&
        (uc.event == RTMP_USER_CONTROL_PING_REQUEST ||
            uc.event == RTMP_USER_CONTROL_PING_RESPONSE);
  }
  return rtmp_message_type_is_protocol_control (msg->type);
}

/* Writes @msg (taken). Our own messages always fit the writer's rules. */
static void
send_message (RtmpSession *s, RtmpMessage *msg)
{
  GError *error = NULL;

  if (msg->type == RTMP_MESSAGE_TYPE_WINDOW_ACK_SIZE) {
    RtmpProtocolControl pc;

    if (rtmp_control_parse (msg, &pc, NULL))
      s->announced_window = pc.value;
  }
  if (s->message_mode) {
    if (is_chunk_stream_control (msg))
      rtmp_message_free (msg);
    else
      g_queue_push_tail (&s->out_messages, msg);
    return;
  }

  if (!rtmp_chunk_writer_write (s->writer, msg, s->out, &error)) {
    GST_ERROR ("could not write our own %s message: %s",
        rtmp_message_type_name (msg->type), error->message);
    g_error_free (error);
  }
  rtmp_message_free (msg);
}

static void
send_command (RtmpSession *s, RtmpCommand *cmd, guint32 stream_id)
{
  GError *error = NULL;
  RtmpMessage *msg = rtmp_command_to_message (cmd, FALSE, stream_id, &error);

  if (msg) {
    GST_DEBUG ("sending %s (transaction %.0f) on stream %u", cmd->name,
        cmd->transaction_id, stream_id);
    send_message (s, msg);
  } else {
    GST_ERROR ("could not encode %s: %s", cmd->name, error->message);
    g_error_free (error);
  }
  rtmp_command_free (cmd);
}

static gdouble
next_transaction (RtmpSession *s, const gchar *name)
{
  return rtmp_transactions_add (s->transactions, name);
}

static void
send_on_status (RtmpSession *s, guint32 stream_id, const gchar *level,
    const gchar *code, const gchar *description)
{
  send_command (s, rtmp_command_new_on_status (level, code, description, NULL),
      stream_id);
}

/* ---- client -------------------------------------------------------------- */

static void
client_fail (RtmpSession *s, const gchar *code, const gchar *description,
    const gchar *what)
{
  RtmpSessionEvent *ev = event_new (s, RTMP_SESSION_EVENT_ERROR);

  s->state = CLIENT_FAILED;
  ev->code = g_strdup (code);
  ev->description = g_strdup (description);
  ev->error = g_error_new (RTMP_ERROR, RTMP_ERROR_PROTOCOL,
      "the server refused to %s%s%s%s%s", what, code ? ": " : "",
      code ? code : "", description ? " (" : "",
      description ? description : "");
  if (description) {
    gchar *m = g_strconcat (ev->error->message, ")", NULL);

    g_free (ev->error->message);
    ev->error->message = m;
  }
  GST_WARNING ("%s", ev->error->message);
}

void
rtmp_session_start (RtmpSession *s)
{
  static const gchar *const fourccs[] = { "av01", "vp09", "hvc1", "avc1",
    NULL };
  RtmpConnectParams params;
  RtmpCommand *cmd;

  if (s->server || s->state != CLIENT_IDLE)
    return;
  rtmp_connect_params_init (&params, s->app, s->tc_url);
  params.flash_ver = s->flash_version;
  params.swf_url = s->swf_url;
  params.page_url = s->page_url;
  if (s->publish) {
    /* what publishers (ffmpeg, OBS, GStreamer) send */
    params.type = "nonprivate";
    params.fpad = -1;
    params.capabilities = -1;
    params.audio_codecs = -1;
    params.video_codecs = -1;
    params.video_function = -1;
  }
  params.fourcc_list = s->fourcc_list ? fourccs : NULL;
  cmd = rtmp_command_new_connect (next_transaction (s, "connect"), &params);
  for (guint i = 0; i < s->connect_args->len; i++)
    rtmp_command_add_argument (
        cmd, amf_value_copy (g_ptr_array_index (s->connect_args, i)));
  s->state = CLIENT_CONNECTING;
  send_command (s, cmd, 0);
}

static void
client_connected (RtmpSession *s)
{
  event_new (s, RTMP_SESSION_EVENT_CONNECTED);
  if (s->window_ack_size)
    send_message (s, rtmp_control_new_window_ack_size (s->window_ack_size));
  if (s->chunk_size > RTMP_CHUNK_SIZE_DEFAULT)
    send_message (s, rtmp_control_new_set_chunk_size (s->chunk_size));
  if (s->publish) {
    send_command (s,
        rtmp_command_new_release_stream (
            next_transaction (s, "releaseStream"), s->stream),
        0);
    send_command (s,
        rtmp_command_new_fc_publish (
            next_transaction (s, "FCPublish"), s->stream),
        0);
  } else {
    /* as librtmp: tell the server our buffer before the stream exists */
    send_message (
        s, rtmp_user_control_new_set_buffer_length (0, s->buffer_length));
  }
  send_command (s,
      rtmp_command_new_create_stream (next_transaction (s, "createStream")), 0);
  s->state = CLIENT_CREATING_STREAM;
}

static void
client_stream_created (RtmpSession *s, guint32 stream_id)
{
  s->stream_id = stream_id;
  GST_DEBUG ("stream %u created", stream_id);
  if (s->publish) {
    RtmpPublishType type = RTMP_PUBLISH_LIVE;

    rtmp_publish_type_from_string (s->publish_type, &type);
    send_command (s, rtmp_command_new_publish (0, s->stream, type), stream_id);
  } else {
    send_message (s,
        rtmp_user_control_new_set_buffer_length (stream_id, s->buffer_length));
    /* start -2: live if there is a live stream, else recorded */
    send_command (
        s, rtmp_command_new_play (0, s->stream, -2, -1, TRUE), stream_id);
  }
  s->state = CLIENT_STARTING;
}

static void
client_on_status (RtmpSession *s, const RtmpCommand *cmd)
{
  const gchar *level = NULL, *code = NULL, *description = NULL;
  RtmpSessionEvent *ev;

  if (!rtmp_command_get_status (cmd, &level, &code, &description)) {
    GST_DEBUG ("onStatus without a status code");
    return;
  }
  GST_DEBUG ("onStatus %s %s: %s", GST_STR_NULL (level), code,
      GST_STR_NULL (description));

  if (g_str_equal (code, "NetStream.Play.Start") ||
      g_str_equal (code, "NetStream.Publish.Start")) {
    if (s->state == CLIENT_STARTING) {
      s->state = CLIENT_STARTED;
      ev = event_new (s, RTMP_SESSION_EVENT_STARTED);
      ev->code = g_strdup (code);
      ev->stream_id = s->stream_id;
      return;
    }
  } else if (!s->publish &&
      (g_str_equal (code, "NetStream.Play.Stop") ||
          g_str_equal (code, "NetStream.Play.Complete") ||
          g_str_equal (code, "NetStream.Play.UnpublishNotify"))) {
    if (s->state == CLIENT_STARTED) {
      s->state = CLIENT_STOPPED;
      ev = event_new (s, RTMP_SESSION_EVENT_EOS);
      ev->code = g_strdup (code);
    }
    return;
  } else if (g_strcmp0 (level, "error") == 0 && s->state != CLIENT_FAILED &&
      s->state != CLIENT_STOPPED) {
    client_fail (s, code, description,
        s->publish ? "take the stream" : "play the stream");
    return;
  }
  ev = event_new (s, RTMP_SESSION_EVENT_STATUS);
  ev->code = g_strdup (code);
  ev->description = g_strdup (description);
}

static void
client_command (RtmpSession *s, const RtmpCommand *cmd)
{
  gboolean result = rtmp_command_is (cmd, "_result");

  if (result || rtmp_command_is (cmd, "_error")) {
    gchar *request =
        rtmp_transactions_take (s->transactions, cmd->transaction_id);
    const gchar *level = NULL, *code = NULL, *description = NULL;

    if (!request) {
      GST_DEBUG (
          "%s for unknown transaction %.0f", cmd->name, cmd->transaction_id);
      return;
    }
    rtmp_command_get_status (cmd, &level, &code, &description);
    if (g_str_equal (request, "connect")) {
      if (result && s->state == CLIENT_CONNECTING)
        client_connected (s);
      else if (!result)
        client_fail (s, code ? code : "NetConnection.Connect.Rejected",
            description, "connect");
    } else if (g_str_equal (request, "createStream")) {
      guint32 id;

      if (result && rtmp_command_get_stream_id (cmd, &id))
        client_stream_created (s, id);
      else
        client_fail (s, code ? code : "NetConnection.Call.Failed", description,
            "create a stream");
    } else {
      /* releaseStream, FCPublish, FCUnpublish, deleteStream: servers
       * differ in whether they answer at all; nothing depends on it */
      GST_DEBUG ("%s to %s", cmd->name, request);
    }
    g_free (request);
  } else if (rtmp_command_is (cmd, "onStatus")) {
    client_on_status (s, cmd);
  } else if (!s->publish &&
      (rtmp_command_is (cmd, "FCUnpublish") ||
          rtmp_command_is (cmd, "deleteStream"))) {
    /* FFmpeg's listen mode ends a play this way */
    if (s->state == CLIENT_STARTED) {
      s->state = CLIENT_STOPPED;
      event_new (s, RTMP_SESSION_EVENT_EOS)->code = g_strdup (cmd->name);
    }
  } else if (rtmp_command_is (cmd, "close")) {
    if (s->state == CLIENT_STARTED && !s->publish) {
      s->state = CLIENT_STOPPED;
      event_new (s, RTMP_SESSION_EVENT_EOS);
    }
  } else if (rtmp_command_is (cmd, "onFCPublish") ||
      rtmp_command_is (cmd, "onFCUnpublish")) {
    const gchar *code = NULL, *description = NULL;

    if (rtmp_command_get_status (cmd, NULL, &code, &description)) {
      RtmpSessionEvent *ev = event_new (s, RTMP_SESSION_EVENT_STATUS);

      ev->code = g_strdup (code);
      ev->description = g_strdup (description);
    }
  } else if (cmd->transaction_id > 0) {
    /* a call we do not implement (e.g. _checkbw) */
    send_command (s,
        rtmp_command_new_error (cmd->transaction_id, NULL,
            rtmp_status_info_new (
                "error", "NetConnection.Call.Failed", "not implemented")),
        0);
  } else {
    GST_DEBUG ("ignoring %s", cmd->name);
  }
}

void
rtmp_session_stop_publish (RtmpSession *s)
{
  if (s->server || !s->publish || s->state != CLIENT_STARTED)
    return;
  send_command (s,
      rtmp_command_new_fc_unpublish (
          next_transaction (s, "FCUnpublish"), s->stream),
      0);
  send_command (s,
      rtmp_command_new_delete_stream (
          next_transaction (s, "deleteStream"), s->stream_id),
      0);
  s->state = CLIENT_STOPPED;
}

/* ---- server -------------------------------------------------------------- */

static ServerStream *
find_stream (RtmpSession *s, guint32 id)
{
  for (guint i = 0; i < s->streams->len; i++) {
    ServerStream *st = &g_array_index (s->streams, ServerStream, i);

    if (st->id == id)
      return st;
  }
  return NULL;
}

static void
remove_stream (RtmpSession *s, guint32 id)
{
  for (guint i = 0; i < s->streams->len; i++) {
    ServerStream *st = &g_array_index (s->streams, ServerStream, i);

    if (st->id == id) {
      g_free (st->name);
      g_array_remove_index_fast (s->streams, i);
      return;
    }
  }
}

/* A publisher's stream ended (FCUnpublish, deleteStream, closeStream) or a
 * player went away. */
static void
server_stream_ended (RtmpSession *s, guint32 id)
{
  ServerStream *st = find_stream (s, id);
  RtmpSessionEvent *ev;

  if (!st)
    return;
  if (st->state == STREAM_PUBLISHING || st->state == STREAM_PLAYING) {
    ev = event_new (s, RTMP_SESSION_EVENT_EOS);
    ev->stream_id = id;
    ev->stream = g_strdup (st->name);
    if (st->state == STREAM_PUBLISHING)
      send_on_status (
          s, id, "status", "NetStream.Unpublish.Success", "Stopped publishing");
  }
  remove_stream (s, id);
}

static gboolean
server_command (
    RtmpSession *s, const RtmpCommand *cmd, guint32 stream_id, GError **error)
{
  RtmpSessionEvent *ev;

  if (rtmp_command_is (cmd, "connect")) {
    const AmfValue *obj = cmd->command_object;
    const gchar *app = amf_value_get_property_string (obj, "app");

    if (s->connected || s->connect_pending) {
      g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
          "a second connect on the same connection");
      return FALSE;
    }
    s->connect_pending = TRUE;
    s->connect_txid = cmd->transaction_id;
    s->object_encoding =
        amf_value_get_property_number (obj, "objectEncoding", 0) == 3 ? 3 : 0;
    ev = event_new (s, RTMP_SESSION_EVENT_CONNECT_REQUEST);
    ev->app = g_strdup (app ? app : "");
    ev->tc_url = g_strdup (amf_value_get_property_string (obj, "tcUrl"));
    return TRUE;
  }
  if (!s->connected) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "'%s' before connect was accepted", cmd->name);
    return FALSE;
  }

  if (rtmp_command_is (cmd, "createStream")) {
    if (s->streams->len >= MAX_STREAMS) {
      send_command (s,
          rtmp_command_new_error (cmd->transaction_id, NULL,
              rtmp_status_info_new (
                  "error", "NetConnection.Call.Failed", "too many streams")),
          0);
    } else {
      ServerStream st = { s->next_stream_id++, STREAM_CREATED, NULL };

      g_array_append_val (s->streams, st);
      send_command (s,
          rtmp_command_new_create_stream_result (cmd->transaction_id, st.id),
          0);
    }
  } else if (rtmp_command_is (cmd, "publish") ||
      rtmp_command_is (cmd, "play")) {
    gboolean publish = rtmp_command_is (cmd, "publish");
    ServerStream *st = find_stream (s, stream_id);
    const gchar *name = rtmp_command_get_string_argument (cmd, 0);

    if (!st || st->state != STREAM_CREATED) {
      send_on_status (s, stream_id, "error",
          publish ? "NetStream.Publish.BadName" : "NetStream.Play.Failed",
          "no such stream, or already in use");
      return TRUE;
    }
    g_free (st->name);
    st->name = g_strdup (name ? name : "");
    st->state = publish ? STREAM_PUBLISH_PENDING : STREAM_PLAY_PENDING;
    ev = event_new (s,
        publish ? RTMP_SESSION_EVENT_PUBLISH_REQUEST :
                  RTMP_SESSION_EVENT_PLAY_REQUEST);
    ev->stream = g_strdup (st->name);
    ev->stream_id = stream_id;
  } else if (rtmp_command_is (cmd, "FCUnpublish")) {
    for (guint i = 0; i < s->streams->len; i++) {
      ServerStream *st = &g_array_index (s->streams, ServerStream, i);
      const gchar *name = rtmp_command_get_string_argument (cmd, 0);

      if (st->state == STREAM_PUBLISHING && g_strcmp0 (st->name, name) == 0) {
        ev = event_new (s, RTMP_SESSION_EVENT_EOS);
        ev->stream_id = st->id;
        ev->stream = g_strdup (st->name);
        /* the stream stays until deleteStream; no second EOS */
        st->state = STREAM_CREATED;
        break;
      }
    }
    if (cmd->transaction_id > 0)
      send_command (
          s, rtmp_command_new_result (cmd->transaction_id, NULL, NULL), 0);
  } else if (rtmp_command_is (cmd, "deleteStream")) {
    const AmfValue *id = rtmp_command_get_argument (cmd, 0);

    server_stream_ended (s, (guint32) amf_value_get_number (id));
  } else if (rtmp_command_is (cmd, "closeStream")) {
    server_stream_ended (s, stream_id);
  } else if (rtmp_command_is (cmd, "releaseStream") ||
      rtmp_command_is (cmd, "FCPublish") || rtmp_command_is (cmd, "_checkbw") ||
      rtmp_command_is (cmd, "getStreamLength")) {
    if (cmd->transaction_id > 0)
      send_command (
          s, rtmp_command_new_result (cmd->transaction_id, NULL, NULL), 0);
  } else if (rtmp_command_is (cmd, "_result") ||
      rtmp_command_is (cmd, "_error") || rtmp_command_is (cmd, "onStatus")) {
    GST_DEBUG ("client sent %s", cmd->name);
  } else if (cmd->transaction_id > 0) {
    send_command (s,
        rtmp_command_new_error (cmd->transaction_id, NULL,
            rtmp_status_info_new (
                "error", "NetConnection.Call.Failed", "not implemented")),
        0);
  } else {
    GST_DEBUG ("ignoring %s", cmd->name);
  }
  return TRUE;
}

void
rtmp_session_accept_connect (RtmpSession *s)
{
  if (!s->server || !s->connect_pending)
    return;
  s->connect_pending = FALSE;
  s->connected = TRUE;
  send_message (s, rtmp_control_new_window_ack_size (s->window_ack_size));
  send_message (s,
      rtmp_control_new_set_peer_bandwidth (
          s->peer_bandwidth, RTMP_LIMIT_DYNAMIC));
  if (s->chunk_size > RTMP_CHUNK_SIZE_DEFAULT)
    send_message (s, rtmp_control_new_set_chunk_size (s->chunk_size));
  send_command (s,
      rtmp_command_new_connect_result (s->connect_txid, s->object_encoding), 0);
  event_new (s, RTMP_SESSION_EVENT_CONNECTED);
}

void
rtmp_session_reject_connect (
    RtmpSession *s, const gchar *code, const gchar *description)
{
  if (!s->server || !s->connect_pending)
    return;
  s->connect_pending = FALSE;
  send_command (s,
      rtmp_command_new_error (s->connect_txid, NULL,
          rtmp_status_info_new ("error",
              code ? code : "NetConnection.Connect.Rejected", description)),
      0);
}

void
rtmp_session_accept_publish (RtmpSession *s, guint32 stream_id)
{
  ServerStream *st = s->server ? find_stream (s, stream_id) : NULL;
  gchar *desc;

  if (!st || st->state != STREAM_PUBLISH_PENDING)
    return;
  st->state = STREAM_PUBLISHING;
  send_message (s, rtmp_user_control_new_stream_begin (stream_id));
  desc = g_strdup_printf ("%s is now published", st->name);
  send_on_status (s, stream_id, "status", "NetStream.Publish.Start", desc);
  g_free (desc);
}

void
rtmp_session_accept_play (RtmpSession *s, guint32 stream_id)
{
  ServerStream *st = s->server ? find_stream (s, stream_id) : NULL;
  RtmpCommand *access;
  GError *error = NULL;
  RtmpMessage *msg;

  if (!st || st->state != STREAM_PLAY_PENDING)
    return;
  st->state = STREAM_PLAYING;
  send_message (s, rtmp_user_control_new_stream_begin (stream_id));
  send_on_status (
      s, stream_id, "status", "NetStream.Play.Reset", "Playing and resetting");
  send_on_status (
      s, stream_id, "status", "NetStream.Play.Start", "Started playing");
  access = rtmp_command_new_data ("|RtmpSampleAccess");
  rtmp_command_add_argument (access, amf_value_new_boolean (TRUE));
  rtmp_command_add_argument (access, amf_value_new_boolean (TRUE));
  msg = rtmp_command_to_message (access, FALSE, stream_id, &error);
  rtmp_command_free (access);
  if (msg)
    send_message (s, msg);
  else
    g_clear_error (&error);
}

void
rtmp_session_reject_stream (RtmpSession *s, guint32 stream_id,
    const gchar *code, const gchar *description)
{
  ServerStream *st = s->server ? find_stream (s, stream_id) : NULL;

  if (!st)
    return;
  send_on_status (s, stream_id, "error", code, description);
  st->state = STREAM_CREATED;
}

void
rtmp_session_end_play (RtmpSession *s, guint32 stream_id)
{
  ServerStream *st = s->server ? find_stream (s, stream_id) : NULL;

  if (!st || st->state != STREAM_PLAYING)
    return;
  send_message (s, rtmp_user_control_new_stream_eof (stream_id));
  send_on_status (s, stream_id, "status", "NetStream.Play.UnpublishNotify",
      "The stream was unpublished");
  send_on_status (
      s, stream_id, "status", "NetStream.Play.Stop", "Stopped playing");
  st->state = STREAM_CREATED;
}

/* ---- receiving ----------------------------------------------------------- */

static gboolean
handle_user_control (
    RtmpSession *s, const RtmpMessage *msg, guint64 now_ms, GError **error)
{
  RtmpUserControl uc;
  GError *err = NULL;

  if (!rtmp_user_control_parse (msg, &uc, &err)) {
    /* a short user control message is the peer's bug, not fatal */
    GST_DEBUG ("ignoring a bad user control message: %s", err->message);
    g_error_free (err);
    return TRUE;
  }
  switch (uc.event) {
    case RTMP_USER_CONTROL_PING_REQUEST:
      send_message (s, rtmp_user_control_new_ping_response (uc.timestamp));
      break;
    case RTMP_USER_CONTROL_PING_RESPONSE:
      if (s->ping_outstanding && uc.timestamp == s->ping_sent) {
        RtmpSessionEvent *ev = event_new (s, RTMP_SESSION_EVENT_PONG);

        s->ping_outstanding = FALSE;
        ev->rtt_ms = (guint32) now_ms - s->ping_sent;
      }
      break;
    case RTMP_USER_CONTROL_STREAM_EOF:
      if (!s->server && !s->publish && s->state == CLIENT_STARTED &&
          (uc.stream_id == s->stream_id || uc.stream_id == 0)) {
        s->state = CLIENT_STOPPED;
        event_new (s, RTMP_SESSION_EVENT_EOS)->code = g_strdup ("StreamEOF");
      }
      break;
    default:
      GST_LOG ("user control %s for stream %u",
          rtmp_user_control_event_name (uc.event), uc.stream_id);
      break;
  }
  return TRUE;
}

static gboolean
handle_message (
    RtmpSession *s, RtmpMessage *msg, guint64 now_ms, GError **error)
{
  switch (msg->type) {
    case RTMP_MESSAGE_TYPE_SET_CHUNK_SIZE:
    case RTMP_MESSAGE_TYPE_ABORT:
    case RTMP_MESSAGE_TYPE_WINDOW_ACK_SIZE:
      /* the chunk reader acted on these */
      return TRUE;
    case RTMP_MESSAGE_TYPE_ACKNOWLEDGEMENT: {
      RtmpProtocolControl pc;

      if (rtmp_control_parse (msg, &pc, NULL)) {
        s->peer_acked_total += (guint32) (pc.value - s->peer_acked);
        s->peer_acked = pc.value;
      }
      return TRUE;
    }
    case RTMP_MESSAGE_TYPE_SET_PEER_BANDWIDTH: {
      RtmpProtocolControl pc;

      if (rtmp_control_parse (msg, &pc, NULL)) {
        /* answer with our window when it differs, as the spec asks */
        if (pc.value != s->peer_window && pc.value > 0) {
          s->peer_window = pc.value;
          send_message (s, rtmp_control_new_window_ack_size (pc.value));
        }
      }
      return TRUE;
    }
    case RTMP_MESSAGE_TYPE_USER_CONTROL:
      return handle_user_control (s, msg, now_ms, error);
    case RTMP_MESSAGE_TYPE_AUDIO:
    case RTMP_MESSAGE_TYPE_VIDEO:
    case RTMP_MESSAGE_TYPE_AGGREGATE:
      break;
    case RTMP_MESSAGE_TYPE_DATA_AMF0:
    case RTMP_MESSAGE_TYPE_DATA_AMF3:
      /* media when it belongs to a stream (metadata); the rest is noise */
      break;
    case RTMP_MESSAGE_TYPE_COMMAND_AMF0:
    case RTMP_MESSAGE_TYPE_COMMAND_AMF3: {
      GError *err = NULL;
      RtmpCommand *cmd = rtmp_command_parse (msg, &err);
      gboolean ok = TRUE;

      if (!cmd) {
        g_propagate_prefixed_error (
            error, err, "bad %s message: ", rtmp_message_type_name (msg->type));
        return FALSE;
      }
      GST_DEBUG ("received %s (transaction %.0f) on stream %u", cmd->name,
          cmd->transaction_id, msg->stream_id);
      if (s->server)
        ok = server_command (s, cmd, msg->stream_id, error);
      else
        client_command (s, cmd);
      rtmp_command_free (cmd);
      return ok;
    }
    default:
      GST_DEBUG ("ignoring a %s message (type %u)",
          rtmp_message_type_name (msg->type), msg->type);
      return TRUE;
  }

  /* audio, video, data, aggregate */
  if (s->server) {
    ServerStream *st = find_stream (s, msg->stream_id);

    if (!st || st->state != STREAM_PUBLISHING) {
      GST_LOG ("media on stream %u that is not publishing", msg->stream_id);
      return TRUE;
    }
  } else if (s->publish || s->state != CLIENT_STARTED) {
    GST_LOG ("media while not playing");
    return TRUE;
  }
  {
    RtmpSessionEvent *ev = event_new (s, RTMP_SESSION_EVENT_MEDIA);

    ev->stream_id = msg->stream_id;
    ev->message = rtmp_message_new (msg->type, msg->timestamp, msg->stream_id,
        gst_buffer_ref (msg->payload));
  }
  return TRUE;
}

static gboolean
drain_reader (RtmpSession *s, guint64 now_ms, GError **error)
{
  RtmpMessage *msg;
  guint32 seq;
  gboolean ok = TRUE;

  while (ok && (msg = rtmp_chunk_reader_pop (s->reader))) {
    ok = handle_message (s, msg, now_ms, error);
    rtmp_message_free (msg);
  }
  if (rtmp_chunk_reader_take_ack (s->reader, &seq))
    send_message (s, rtmp_control_new_acknowledgement (seq));
  return ok;
}

gboolean
rtmp_session_push (
    RtmpSession *s, GstBuffer *data, guint64 now_ms, GError **error)
{
  GError *err = NULL;
  gboolean pushed = rtmp_chunk_reader_push_buffer (s->reader, data, &err);

  /* messages completed before an error still count */
  if (!drain_reader (s, now_ms, error)) {
    g_clear_error (&err);
    return FALSE;
  }
  if (!pushed) {
    g_propagate_error (error, err);
    return FALSE;
  }
  return TRUE;
}

gboolean
rtmp_session_push_bytes (RtmpSession *s, const guint8 *data, gsize len,
    guint64 now_ms, GError **error)
{
  GError *err = NULL;
  gboolean pushed = rtmp_chunk_reader_push_data (s->reader, data, len, &err);

  if (!drain_reader (s, now_ms, error)) {
    g_clear_error (&err);
    return FALSE;
  }
  if (!pushed) {
    g_propagate_error (error, err);
    return FALSE;
  }
  return TRUE;
}

/* ---- media out ----------------------------------------------------------- */

gboolean
rtmp_session_push_message (
    RtmpSession *s, const RtmpMessage *msg, guint64 now_ms, GError **error)
{
  g_return_val_if_fail (s->message_mode, FALSE);

  if (is_chunk_stream_control (msg))
    return TRUE;
  return handle_message (s, (RtmpMessage *) msg, now_ms, error);
}

gboolean
rtmp_session_send_media (
    RtmpSession *s, const RtmpMessage *msg, guint32 stream_id, GError **error)
{
  RtmpMessage out = *msg;

  if (stream_id == 0)
    stream_id = s->stream_id;
  if (!s->server && (!s->publish || s->state != CLIENT_STARTED)) {
    g_set_error_literal (
        error, RTMP_ERROR, RTMP_ERROR_PROTOCOL, "not publishing");
    return FALSE;
  }
  out.stream_id = stream_id;
  out.chunk_stream_id = 0;
  if (s->message_mode) {
    g_queue_push_tail (&s->out_messages,
        rtmp_message_new (
            out.type, out.timestamp, stream_id, gst_buffer_ref (out.payload)));
    return TRUE;
  }
  return rtmp_chunk_writer_write (s->writer, &out, s->out, error);
}

void
rtmp_session_ping (RtmpSession *s, guint64 now_ms)
{
  if (s->message_mode)
    return;
  s->ping_sent = (guint32) now_ms;
  s->ping_outstanding = TRUE;
  send_message (s, rtmp_user_control_new_ping_request (s->ping_sent));
}

guint64
rtmp_session_unacked_bytes (RtmpSession *s)
{
  guint64 written = rtmp_chunk_writer_get_bytes_written (s->writer);

  return written > s->peer_acked_total ? written - s->peer_acked_total : 0;
}

guint32
rtmp_session_peer_window (RtmpSession *s)
{
  return s->peer_acked_total > 0 ? s->announced_window : 0;
}

guint64
rtmp_session_bytes_in (RtmpSession *s)
{
  return rtmp_chunk_reader_get_bytes_received (s->reader);
}

guint32
rtmp_session_stream_id (RtmpSession *s)
{
  return s->stream_id;
}
