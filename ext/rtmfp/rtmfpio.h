/* gst-rtmfp: UDP sockets and timers driving an RtmfpEndpoint
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An RtmfpIo owns an RtmfpEndpoint, the UDP socket(s) it serves (IPv4,
 * IPv6, or one of each) and a private thread running a GMainContext. On
 * that thread, and only there, it reads datagrams into the endpoint, fires
 * its timers (rtmfp_endpoint_next_deadline / advance), writes what it
 * pulls, and hands every event to the owner's callback. The owner calls
 * into the endpoint from that thread too: from the event callback or from
 * a function given to rtmfp_io_invoke(); after either, the RtmfpIo pumps
 * (events, then datagrams, then the next deadline).
 *
 * Time is g_get_monotonic_time (), in microseconds.
 */
#ifndef __RTMFP_IO_H__
#define __RTMFP_IO_H__

#include <gio/gio.h>

#include "rtmfp.h"

G_BEGIN_DECLS

typedef struct _RtmfpIo RtmfpIo;

/* An event of the endpoint; its contents are cleared after the call (steal
 * what you keep). */
typedef void (*RtmfpIoEventFunc) (RtmfpIo *io, RtmfpEvent *ev, gpointer data);
/* After every pump: a chance to look at queues and statistics. TRUE when
 * it called into the endpoint (the RtmfpIo pumps again). */
typedef gboolean (*RtmfpIoPumpFunc) (RtmfpIo *io, gpointer data);

typedef struct
{
  guint64 datagrams_in, datagrams_out;
  guint64 bytes_in, bytes_out;
  guint64 send_errors; /* datagrams the kernel refused (not EAGAIN) */
  guint64 send_blocked; /* times the socket was full */
} RtmfpIoStats;

/* Creates the endpoint from @config. */
RtmfpIo *rtmfp_io_new (const RtmfpConfig *config, RtmfpIoEventFunc event_func,
    RtmfpIoPumpFunc pump_func, gpointer data, GError **error);

/* Binds a socket to @host (an address, or NULL for both wildcards) and
 * @port (0: any). Call before rtmfp_io_start(). A client binds NULL:0. */
gboolean rtmfp_io_bind (
    RtmfpIo *io, const gchar *host, guint16 port, GError **error);
/* The port bound for @family (4 or 6), 0 when none. */
guint16 rtmfp_io_get_port (RtmfpIo *io, guint family);

/* Starts the thread. */
void rtmfp_io_start (RtmfpIo *io);

/* Runs @func (data) on the thread, then pumps. Any thread. @destroy frees
 * @data after the call (or when the RtmfpIo stops before it ran). */
void rtmfp_io_invoke (
    RtmfpIo *io, GSourceFunc func, gpointer data, GDestroyNotify destroy);

/* The thread's context (for the owner's own sources). */
GMainContext *rtmfp_io_get_context (RtmfpIo *io);

/* On the thread: pump now (events, datagrams, timer). */
void rtmfp_io_pump (RtmfpIo *io);

RtmfpEndpoint *rtmfp_io_get_endpoint (RtmfpIo *io);
guint64 rtmfp_io_now (void);
void rtmfp_io_get_stats (RtmfpIo *io, RtmfpIoStats *stats);

/* Stops the thread (joins it) and frees everything. */
void rtmfp_io_free (RtmfpIo *io);

/* GInetSocketAddress <-> RtmfpAddress (IPv4-mapped IPv6 become IPv4). */
gboolean rtmfp_address_from_gsocketaddress (
    GSocketAddress *sa, RtmfpAddress *a);
GSocketAddress *rtmfp_address_to_gsocketaddress (const RtmfpAddress *a);

G_END_DECLS

#endif
