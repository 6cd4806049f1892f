/* gst-rtmpe: what the element tests share: media to send, FLV to push,
 * process counters, bus helpers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMPE_TEST_UTIL_H__
#define __RTMPE_TEST_UTIL_H__

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "rtmpe-test-server.h"
#include "rtmpmessage.h"

G_BEGIN_DECLS

/* Registers rtmpesrc and rtmpesink from the static library (no .so). */
void tu_register_elements (void);

/* ---- media messages (RTMP message = FLV tag body) ---- */

/* onMetaData {duration, width, height, videocodecid, audiocodecid ...}:
 * audio and video members only for what the stream has; @wrapped puts
 * "@setDataFrame" first, as publishers send it */
RtmpMessage *tu_metadata (
    guint32 ts, gboolean audio, gboolean video, gboolean wrapped);
RtmpMessage *tu_aac_header (guint32 ts);
RtmpMessage *tu_aac_frame (guint32 ts, gsize size);
RtmpMessage *tu_avc_header (guint32 ts);
/* an AVC NALU message with composition time @cts (ms) */
RtmpMessage *tu_avc_frame (guint32 ts, gboolean key, gint32 cts, gsize size);

/* A stream as encoders write it: metadata, sequence headers, then video
 * every 40 ms (a key frame every 10, B-frames: non-zero composition
 * times) and, with @audio, AAC every 23 ms, in timestamp order; @n_video
 * video frames. */
GPtrArray *tu_script (gboolean audio, guint n_video);
/* The composition time tu_script () gives video frame @i. */
gint32 tu_script_cts (guint i);

/* ---- FLV bytes ---- */

GstBuffer *tu_flv_header (gboolean audio, gboolean video);
GstBuffer *tu_flv_tag (const RtmpMessage *msg);
/* the FLV tag's type/timestamp/size for a whole-tag buffer; FALSE if the
 * buffer is not exactly one tag */
gboolean tu_parse_one_tag (
    GstBuffer *buf, guint8 *type, guint32 *timestamp, gsize *data_size);

guint32 tu_read_u32_be (const guint8 *p);

/* ---- process ---- */

guint tu_count_fds (void);
/* (transfer full) the threads' names and the descriptors' targets */
gchar *tu_describe_process (void);
guint tu_count_threads (void);
/* threads of GLib's pool (GstTask streaming threads included): they end
 * some time after they were let go */
guint tu_count_pool_threads (void);
gdouble tu_now_s (void);

/* A port where TCP connects hang in SYN-SENT: a socket listening with a
 * backlog of 0 whose only queue slot is taken by a connection of ours and
 * which never accepts; the kernel drops every further SYN. */
typedef struct _TuBlackhole TuBlackhole;

TuBlackhole *tu_blackhole_new (void);
guint16 tu_blackhole_get_port (TuBlackhole *b);
void tu_blackhole_free (TuBlackhole *b);
/* Accepts our own queued connection: the next SYN the client retransmits
 * (after 1 s on Linux) gets in, and nothing ever answers it. */
void tu_blackhole_release (TuBlackhole *b);
/* Waits (polling /proc/net/tcp) until @n connections to @port are in
 * SYN-SENT, i.e. a client is stuck connecting. */
gboolean tu_wait_syn_sent (guint16 port, guint n, guint timeout_ms);

/* A plain GLib timer for @ms on a thread and main context of its own, as
 * the elements' timers run: how late it fires tells how much of an
 * element's lateness the machine's load explains (a loaded machine
 * delays every thread). */
typedef struct _TuRefTimer TuRefTimer;

TuRefTimer *tu_ref_timer_start (guint ms);
/* Waits for it to fire; returns how late it fired, in seconds (>= 0). */
gdouble tu_ref_timer_lateness (TuRefTimer *t);
void tu_ref_timer_free (TuRefTimer *t);

/* ---- bus ---- */

/* The first ERROR on @bus within @timeout_ms, or NULL. */
GstMessage *tu_wait_error (GstBus *bus, guint timeout_ms);
/* Checks @msg is an error of @domain/@code whose message or debug text
 * contains @debug_part (when not NULL). */
void tu_assert_error (
    GstMessage *msg, GQuark domain, gint code, const gchar *debug_part);

/* the records of the server's state, copied out under its lock */
GPtrArray *tu_server_media (TestServer *s);
GPtrArray *tu_server_tap (TestServer *s);
TestServerState tu_server_counters (TestServer *s);

G_END_DECLS

#endif
