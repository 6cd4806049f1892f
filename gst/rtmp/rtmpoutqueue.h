/* gst-rtmpe: bytes waiting to be sent, as scatter-gather segments
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the chunk writer produces (small headers, and slices of message
 * payloads) waits here until the socket takes it. Header bytes are copied
 * into the segment itself (at most RTMP_OUT_QUEUE_INLINE bytes each);
 * payload slices point into the payload's mapped memory, which the queue
 * keeps mapped and referenced until the last slice of it is consumed. No
 * payload byte is copied, and nothing is allocated per chunk once the
 * segment ring has grown to its working size.
 */
#ifndef __RTMP_OUT_QUEUE_H__
#define __RTMP_OUT_QUEUE_H__

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define RTMP_OUT_QUEUE_INLINE 24

typedef struct _RtmpOutQueue RtmpOutQueue;
typedef struct _RtmpOutPayload RtmpOutPayload;

RtmpOutQueue *rtmp_out_queue_new (void);
void rtmp_out_queue_free (RtmpOutQueue *q);

/* Maps @buffer for reading, each of its memories on its own (no merge),
 * and takes a reference to it; NULL if it cannot be mapped. Release with
 * rtmp_out_payload_unref() after pushing slices.
 * rtmp_out_payload_data(): the bytes when the buffer has one memory, else
 * NULL. */
RtmpOutPayload *rtmp_out_payload_new (GstBuffer *buffer);
const guint8 *rtmp_out_payload_data (RtmpOutPayload *p);
gsize rtmp_out_payload_size (RtmpOutPayload *p);
RtmpOutPayload *rtmp_out_payload_ref (RtmpOutPayload *p);
void rtmp_out_payload_unref (RtmpOutPayload *p);

/* Appends @len (<= RTMP_OUT_QUEUE_INLINE) bytes, copied. Consecutive small
 * pushes are merged into one segment while they fit. */
void rtmp_out_queue_push_bytes (RtmpOutQueue *q, const guint8 *data, gsize len);
/* Appends bytes of any length, copied into one allocation (for rare large
 * control data such as commands when no payload buffer exists). */
void rtmp_out_queue_push_copy (RtmpOutQueue *q, const guint8 *data, gsize len);
/* Appends @len bytes at @offset of @payload, without copying. */
void rtmp_out_queue_push_slice (
    RtmpOutQueue *q, RtmpOutPayload *payload, gsize offset, gsize len);

/* Fills up to @max vectors from the head; returns how many. The vectors are
 * valid until the next push or consume. */
guint rtmp_out_queue_peek (RtmpOutQueue *q, GOutputVector *v, guint max);
/* Drops @n bytes from the head (n <= size), releasing payloads fully sent. */
void rtmp_out_queue_consume (RtmpOutQueue *q, gsize n);
gsize rtmp_out_queue_size (RtmpOutQueue *q);
guint rtmp_out_queue_n_segments (RtmpOutQueue *q);
void rtmp_out_queue_clear (RtmpOutQueue *q);

G_END_DECLS

#endif
