/* gst-rtmpe: a tiny RTMP server for the element tests
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One thread with its own GMainContext accepts connections on 127.0.0.1 at
 * a free port and drives each with the project's own core, server side:
 * RtmpHandshake (plain or RTMPE, crypto from rtmpe_crypto_openssl ()),
 * RC4 after an RTMPE handshake, and an RtmpSession in server role. It can
 *  - serve a scripted list of media messages to a player, then end the
 *    play the way the test asks;
 *  - record what a publisher sends (every media message with its type,
 *    timestamp, size and payload) and, through a second chunk reader that
 *    taps the same bytes, every message a client sends, commands included;
 *  - misbehave: close after N bytes or N media messages, stall (never
 *    read, never answer the handshake or connect), refuse connect or the
 *    stream with a code, stop reading once a publisher starts.
 *
 * The test thread never sleeps: it waits on the server's condition for a
 * predicate over TestServerState (test_server_wait ()).
 */
#ifndef __RTMPE_TEST_SERVER_H__
#define __RTMPE_TEST_SERVER_H__

#include <gio/gio.h>
#include <gst/gst.h>

#include "rtmpmessage.h"

G_BEGIN_DECLS

typedef struct _TestServer TestServer;

/* How a play ends once the script has been sent. */
typedef enum
{
  TS_END_NONE, /* keep the connection open, send nothing more */
  TS_END_PLAY, /* rtmp_session_end_play: StreamEOF, UnpublishNotify, Stop */
  TS_END_STREAM_EOF, /* only the StreamEOF user control event */
  TS_END_PLAY_STOP, /* only onStatus NetStream.Play.Stop */
  TS_END_PLAY_COMPLETE, /* only onStatus NetStream.Play.Complete */
  TS_END_UNPUBLISH_NOTIFY, /* only onStatus NetStream.Play.UnpublishNotify */
  TS_END_CLOSE, /* close the TCP connection once everything is written */
} TsEnd;

/* Where a misbehaving connection stops answering. */
typedef enum
{
  TS_STALL_NONE,
  TS_STALL_ACCEPT, /* accept, then never read nor write */
  TS_STALL_HANDSHAKE, /* read C0/C1, never answer */
  TS_STALL_CONNECT, /* handshake done, never answer connect */
} TsStall;

typedef struct
{
  /* handshake types accepted (RtmpHandshakeAccept); 0: all */
  guint accept;
  /* play: the messages to serve (RtmpMessage, not taken; copied), sent on
   * the play stream in order right after NetStream.Play.Start */
  GPtrArray *media;
  TsEnd end;

  /* misbehaviour, on the first @misbehave_conns connections (0: all) */
  guint misbehave_conns;
  TsStall stall;
  gsize close_after_bytes; /* close once this many bytes were written */
  guint close_after_media; /* play: close after sending this many */
  const gchar *reject_connect; /* _error to connect with this code */
  const gchar *reject_stream; /* onStatus error to play/publish */
  gboolean stop_reading; /* publish: stop reading once it started */
} TestServerConfig;

/* One message a client sent. */
typedef struct
{
  guint conn; /* connection number, from 0 */
  guint8 type;
  guint32 timestamp;
  guint32 stream_id;
  gsize size;
  gchar *name; /* commands and data: the command or handler name */
  GstBuffer *payload; /* media records only */
} TsRecord;

/* What the server saw. Read it only inside a predicate or through the
 * getters (the server's lock is held then). */
typedef struct
{
  guint accepted; /* connections accepted */
  guint open; /* ... still open */
  guint peer_eof; /* the client closed in order (we read the end) */
  guint peer_error; /* a read or write failed (reset ...) */
  guint64 bytes_read; /* every byte, handshake included */
  guint handshakes; /* handshakes done */
  guint connects; /* connect requests */
  guint plays; /* plays accepted */
  guint publishes; /* publishes accepted */
  guint publish_eos; /* FCUnpublish / deleteStream ended a publish */
  guint media_served; /* media messages queued to players */
  guint n_audio; /* from publishers: audio, video, data messages */
  guint n_video;
  guint n_data;
  guint stopped_reading; /* publishers we stopped reading */
  GPtrArray *media; /* TsRecord: media from publishers (session events) */
  GPtrArray *tap; /* TsRecord: every message from clients, in order */
} TestServerState;

typedef gboolean (*TestServerPredicate) (
    const TestServerState *st, gconstpointer data);

/* Starts the server; returns once it listens. @config is copied. */
TestServer *test_server_new (const TestServerConfig *config);
void test_server_free (TestServer *s);

guint16 test_server_get_port (TestServer *s);
/* "rtmp://127.0.0.1:PORT/app/stream" with @scheme ("rtmp", "rtmpe") */
gchar *test_server_url (
    TestServer *s, const gchar *scheme, const gchar *app, const gchar *stream);

/* Waits until @pred holds or @timeout_ms passed (a safety net: the tests
 * wait for events, the timeout only turns a hang into a failure). */
gboolean test_server_wait (TestServer *s, TestServerPredicate pred,
    gconstpointer data, guint timeout_ms);

/* Runs @func with the state locked, for reading it. */
void test_server_inspect (TestServer *s,
    void (*func) (const TestServerState *st, gpointer data), gpointer data);

/* Resumes reading from publishers (after stop_reading). */
void test_server_resume_reading (TestServer *s);

/* predicates with a guint in @data */
gboolean ts_pred_accepted (const TestServerState *st, gconstpointer n);
gboolean ts_pred_all_closed (const TestServerState *st, gconstpointer unused);
gboolean ts_pred_bytes_read (const TestServerState *st, gconstpointer n);
gboolean ts_pred_media (const TestServerState *st, gconstpointer n);
gboolean ts_pred_plays (const TestServerState *st, gconstpointer n);
gboolean ts_pred_publishes (const TestServerState *st, gconstpointer n);
gboolean ts_pred_peer_closed (const TestServerState *st, gconstpointer n);
gboolean ts_pred_stopped_reading (const TestServerState *st, gconstpointer n);

G_END_DECLS

#endif
