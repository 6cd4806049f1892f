/* gst-rtmpe: RTMP sessions, a client and a server wired together in memory
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "rtmpcommand.h"
#include "rtmpcontrol.h"
#include "rtmpsession.h"
#include "rtmperror.h"

typedef struct
{
  RtmpSession *client;
  RtmpSession *server;
  GPtrArray *client_events;
  GPtrArray *server_events;
  gboolean message_mode;
  guint64 now;
  /* message mode: what crossed, for checks */
  GPtrArray *sent_types;
} Pair;

static void
take_events (RtmpSession *s, GPtrArray *into)
{
  RtmpSessionEvent *ev;

  while ((ev = rtmp_session_pop_event (s)))
    g_ptr_array_add (into, ev);
}

/* Moves what @from queued into @to; returns the bytes or messages moved. */
static gsize
move (Pair *p, RtmpSession *from, RtmpSession *to)
{
  gsize moved = 0;

  if (p->message_mode) {
    RtmpMessage *msg;

    while ((msg = rtmp_session_pop_message (from))) {
      g_ptr_array_add (p->sent_types, GUINT_TO_POINTER (msg->type));
      g_assert_true (rtmp_session_push_message (to, msg, p->now, NULL));
      rtmp_message_free (msg);
      moved++;
    }
  } else {
    RtmpOutQueue *q = rtmp_session_get_out_queue (from);

    while (rtmp_out_queue_size (q) > 0) {
      GOutputVector v[16];
      guint n = rtmp_out_queue_peek (q, v, G_N_ELEMENTS (v));
      gsize chunk = 0;

      /* vector by vector: the reader sees arbitrary cuts */
      for (guint i = 0; i < n; i++) {
        GError *error = NULL;

        g_assert_true (rtmp_session_push_bytes (
            to, v[i].buffer, v[i].size, p->now, &error));
        g_assert_no_error (error);
        chunk += v[i].size;
      }
      rtmp_out_queue_consume (q, chunk);
      moved += chunk;
    }
  }
  return moved;
}

static void
pump (Pair *p)
{
  for (int round = 0; round < 100; round++) {
    gsize a = move (p, p->client, p->server);
    gsize b = move (p, p->server, p->client);

    take_events (p->client, p->client_events);
    take_events (p->server, p->server_events);
    if (a == 0 && b == 0)
      return;
  }
  g_assert_not_reached ();
}

static RtmpSessionEvent *
find_event (GPtrArray *events, RtmpSessionEventType type)
{
  for (guint i = 0; i < events->len; i++) {
    RtmpSessionEvent *ev = g_ptr_array_index (events, i);

    if (ev->type == type)
      return ev;
  }
  return NULL;
}

static guint
count_events (GPtrArray *events, RtmpSessionEventType type)
{
  guint n = 0;

  for (guint i = 0; i < events->len; i++)
    n += ((RtmpSessionEvent *) g_ptr_array_index (events, i))->type == type;
  return n;
}

static void
pair_init (Pair *p, gboolean publish, gboolean message_mode)
{
  RtmpClientConfig cc = { 0 };
  RtmpServerConfig sc = { 0 };

  memset (p, 0, sizeof (*p));
  cc.app = "live";
  cc.tc_url = "rtmp://127.0.0.1/live";
  cc.flash_version = "LNX 9,0,124,2";
  cc.stream = "key?token=1";
  cc.publish = publish;
  cc.buffer_length = 1000;
  cc.chunk_size = 4096;
  cc.window_ack_size = 2500000;
  sc.chunk_size = 4096;
  sc.window_ack_size = 4096;
  p->client = rtmp_session_new_client (&cc);
  p->server = rtmp_session_new_server (&sc);
  p->message_mode = message_mode;
  rtmp_session_set_message_mode (p->client, message_mode);
  rtmp_session_set_message_mode (p->server, message_mode);
  p->client_events =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_session_event_free);
  p->server_events =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_session_event_free);
  p->sent_types = g_ptr_array_new ();
  p->now = 1000;
}

static void
pair_clear (Pair *p)
{
  rtmp_session_free (p->client);
  rtmp_session_free (p->server);
  g_ptr_array_unref (p->client_events);
  g_ptr_array_unref (p->server_events);
  g_ptr_array_unref (p->sent_types);
}

/* connect and publish or play, accepted; returns the stream id */
static guint32
open_stream (Pair *p, gboolean publish)
{
  RtmpSessionEvent *ev;
  guint32 id;

  rtmp_session_start (p->client);
  pump (p);
  ev = find_event (p->server_events, RTMP_SESSION_EVENT_CONNECT_REQUEST);
  g_assert_nonnull (ev);
  g_assert_cmpstr (ev->app, ==, "live");
  g_assert_cmpstr (ev->tc_url, ==, "rtmp://127.0.0.1/live");
  rtmp_session_accept_connect (p->server);
  pump (p);
  g_assert_nonnull (
      find_event (p->client_events, RTMP_SESSION_EVENT_CONNECTED));
  ev = find_event (p->server_events,
      publish ? RTMP_SESSION_EVENT_PUBLISH_REQUEST :
                RTMP_SESSION_EVENT_PLAY_REQUEST);
  g_assert_nonnull (ev);
  g_assert_cmpstr (ev->stream, ==, "key?token=1");
  g_assert_cmpuint (ev->stream_id, ==, 1);
  id = ev->stream_id;
  if (publish)
    rtmp_session_accept_publish (p->server, id);
  else
    rtmp_session_accept_play (p->server, id);
  pump (p);
  ev = find_event (p->client_events, RTMP_SESSION_EVENT_STARTED);
  g_assert_nonnull (ev);
  g_assert_cmpstr (ev->code, ==,
      publish ? "NetStream.Publish.Start" : "NetStream.Play.Start");
  g_assert_cmpuint (rtmp_session_stream_id (p->client), ==, id);
  return id;
}

static RtmpMessage *
media (guint8 type, guint32 ts, gsize size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 31 + ts);
  return rtmp_message_new (type, ts, 0, gst_buffer_new_wrapped (data, size));
}

static void
assert_same_media (const RtmpMessage *got, const RtmpMessage *sent)
{
  GstMapInfo a, b;

  g_assert_cmpuint (got->type, ==, sent->type);
  g_assert_cmpuint (got->timestamp, ==, sent->timestamp);
  gst_buffer_map (got->payload, &a, GST_MAP_READ);
  gst_buffer_map (sent->payload, &b, GST_MAP_READ);
  g_assert_cmpmem (a.data, a.size, b.data, b.size);
  gst_buffer_unmap (got->payload, &a);
  gst_buffer_unmap (sent->payload, &b);
}

static void
run_publish (gboolean message_mode)
{
  Pair p;
  guint32 id;
  RtmpMessage *sent[3];
  guint n_media = 0;
  RtmpSessionEvent *ev;

  pair_init (&p, TRUE, message_mode);
  id = open_stream (&p, TRUE);

  sent[0] = media (RTMP_MESSAGE_TYPE_VIDEO, 0, 100 * 1024);
  sent[1] = media (RTMP_MESSAGE_TYPE_AUDIO, 0x00FFFFFF, 300);
  sent[2] = media (RTMP_MESSAGE_TYPE_VIDEO, 0xFFFFFFF0, 5000);
  for (int i = 0; i < 3; i++)
    g_assert_true (rtmp_session_send_media (p.client, sent[i], 0, NULL));
  pump (&p);
  for (guint i = 0; i < p.server_events->len; i++) {
    ev = g_ptr_array_index (p.server_events, i);
    if (ev->type != RTMP_SESSION_EVENT_MEDIA)
      continue;
    g_assert_cmpuint (ev->stream_id, ==, id);
    assert_same_media (ev->message, sent[n_media++]);
  }
  g_assert_cmpuint (n_media, ==, 3);

  rtmp_session_stop_publish (p.client);
  pump (&p);
  ev = find_event (p.server_events, RTMP_SESSION_EVENT_EOS);
  g_assert_nonnull (ev);
  g_assert_cmpuint (ev->stream_id, ==, id);
  /* FCUnpublish then deleteStream: one end of stream */
  g_assert_cmpuint (
      count_events (p.server_events, RTMP_SESSION_EVENT_EOS), ==, 1);
  g_assert_null (find_event (p.client_events, RTMP_SESSION_EVENT_ERROR));

  if (message_mode) {
    /* nothing of the chunk stream's own control crossed */
    for (guint i = 0; i < p.sent_types->len; i++) {
      guint t = GPOINTER_TO_UINT (g_ptr_array_index (p.sent_types, i));

      g_assert_false (rtmp_message_type_is_protocol_control (t));
    }
  }
  for (int i = 0; i < 3; i++)
    rtmp_message_free (sent[i]);
  pair_clear (&p);
}

static void
test_publish (void)
{
  run_publish (FALSE);
}

static void
test_publish_message_mode (void)
{
  run_publish (TRUE);
}

static void
run_play (gboolean message_mode)
{
  Pair p;
  guint32 id;
  RtmpMessage *a = media (RTMP_MESSAGE_TYPE_AUDIO, 40, 200);
  RtmpMessage *v = media (RTMP_MESSAGE_TYPE_VIDEO, 40, 9000);
  RtmpSessionEvent *ev;

  pair_init (&p, FALSE, message_mode);
  id = open_stream (&p, FALSE);
  g_assert_true (rtmp_session_send_media (p.server, a, id, NULL));
  g_assert_true (rtmp_session_send_media (p.server, v, id, NULL));
  pump (&p);
  /* |RtmpSampleAccess (data), then the audio and the video */
  g_assert_cmpuint (
      count_events (p.client_events, RTMP_SESSION_EVENT_MEDIA), ==, 3);
  ev = find_event (p.client_events, RTMP_SESSION_EVENT_MEDIA);
  g_assert_cmpuint (ev->message->type, ==, RTMP_MESSAGE_TYPE_DATA_AMF0);
  for (guint i = 0, n = 0; i < p.client_events->len; i++) {
    ev = g_ptr_array_index (p.client_events, i);
    if (ev->type == RTMP_SESSION_EVENT_MEDIA &&
        ev->message->type != RTMP_MESSAGE_TYPE_DATA_AMF0)
      assert_same_media (ev->message, n++ == 0 ? a : v);
  }

  rtmp_session_end_play (p.server, id);
  pump (&p);
  g_assert_cmpuint (
      count_events (p.client_events, RTMP_SESSION_EVENT_EOS), ==, 1);
  rtmp_message_free (a);
  rtmp_message_free (v);
  pair_clear (&p);
}

static void
test_play (void)
{
  run_play (FALSE);
}

static void
test_play_message_mode (void)
{
  run_play (TRUE);
}

static void
test_refusals (void)
{
  Pair p;
  RtmpSessionEvent *ev;

  /* the application is refused */
  pair_init (&p, TRUE, FALSE);
  rtmp_session_start (p.client);
  pump (&p);
  rtmp_session_reject_connect (p.server, NULL, "no such application");
  pump (&p);
  ev = find_event (p.client_events, RTMP_SESSION_EVENT_ERROR);
  g_assert_nonnull (ev);
  g_assert_cmpstr (ev->code, ==, "NetConnection.Connect.Rejected");
  g_assert_cmpstr (ev->description, ==, "no such application");
  g_assert_nonnull (strstr (ev->error->message, "no such application"));
  pair_clear (&p);

  /* the stream name is in use */
  pair_init (&p, TRUE, FALSE);
  rtmp_session_start (p.client);
  pump (&p);
  rtmp_session_accept_connect (p.server);
  pump (&p);
  ev = find_event (p.server_events, RTMP_SESSION_EVENT_PUBLISH_REQUEST);
  rtmp_session_reject_stream (
      p.server, ev->stream_id, "NetStream.Publish.BadName", "in use");
  pump (&p);
  ev = find_event (p.client_events, RTMP_SESSION_EVENT_ERROR);
  g_assert_nonnull (ev);
  g_assert_cmpstr (ev->code, ==, "NetStream.Publish.BadName");
  g_assert_null (find_event (p.client_events, RTMP_SESSION_EVENT_STARTED));
  pair_clear (&p);

  /* play of a stream that does not exist */
  pair_init (&p, FALSE, FALSE);
  rtmp_session_start (p.client);
  pump (&p);
  rtmp_session_accept_connect (p.server);
  pump (&p);
  ev = find_event (p.server_events, RTMP_SESSION_EVENT_PLAY_REQUEST);
  rtmp_session_reject_stream (p.server, ev->stream_id,
      "NetStream.Play.StreamNotFound", "no such stream");
  pump (&p);
  ev = find_event (p.client_events, RTMP_SESSION_EVENT_ERROR);
  g_assert_nonnull (ev);
  g_assert_cmpstr (ev->code, ==, "NetStream.Play.StreamNotFound");
  pair_clear (&p);
}

/* a command before connect is a protocol error on the server */
static void
test_command_before_connect (void)
{
  RtmpServerConfig sc = { 4096, 2500000, 2500000 };
  RtmpSession *server = rtmp_session_new_server (&sc);
  RtmpCommand *cmd = rtmp_command_new_create_stream (2);
  RtmpMessage *msg = rtmp_command_to_message (cmd, FALSE, 0, NULL);
  GError *error = NULL;

  rtmp_session_set_message_mode (server, TRUE);
  g_assert_false (rtmp_session_push_message (server, msg, 0, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "before connect"));
  g_clear_error (&error);
  rtmp_session_free (server);
  rtmp_message_free (msg);
  rtmp_command_free (cmd);
}

static void
test_ping (void)
{
  Pair p;
  RtmpSessionEvent *ev;

  pair_init (&p, FALSE, FALSE);
  open_stream (&p, FALSE);
  rtmp_session_ping (p.client, 1000);
  p.now = 1025;
  pump (&p);
  ev = find_event (p.client_events, RTMP_SESSION_EVENT_PONG);
  g_assert_nonnull (ev);
  g_assert_cmpuint (ev->rtt_ms, ==, 25);
  pair_clear (&p);
}

/* the server asked for acknowledgements every 4096 bytes: a client
 * receiving a lot acknowledges, and the server sees its unacked count
 * stay below a window and a message */
static void
test_acknowledgements (void)
{
  Pair p;
  guint32 id;

  pair_init (&p, FALSE, FALSE);
  id = open_stream (&p, FALSE);
  for (int i = 0; i < 50; i++) {
    RtmpMessage *m = media (RTMP_MESSAGE_TYPE_VIDEO, 40 * i, 10000);

    g_assert_true (rtmp_session_send_media (p.server, m, id, NULL));
    rtmp_message_free (m);
    pump (&p);
    g_assert_cmpuint (rtmp_session_unacked_bytes (p.server), <, 4096 + 10100);
  }
  g_assert_cmpuint (rtmp_session_peer_window (p.server), ==, 4096);
  pair_clear (&p);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/session/publish", test_publish);
  g_test_add_func ("/session/publish-message-mode", test_publish_message_mode);
  g_test_add_func ("/session/play", test_play);
  g_test_add_func ("/session/play-message-mode", test_play_message_mode);
  g_test_add_func ("/session/refusals", test_refusals);
  g_test_add_func (
      "/session/command-before-connect", test_command_before_connect);
  g_test_add_func ("/session/ping", test_ping);
  g_test_add_func ("/session/acknowledgements", test_acknowledgements);
  return g_test_run ();
}
