/* gst-rtmpe: the RTMP chunk stream, bytes <-> RtmpMessage
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The reader takes the bytes that follow the handshake (already decrypted
 * when RTMPE) in blocks of any size and returns whole messages. The writer
 * takes messages and appends their chunks to an RtmpOutQueue as
 * scatter-gather segments: header bytes copied into the queue, payload
 * slices pointing into the mapped payload. Neither does I/O, and neither is
 * thread-safe: one connection drives its reader and its writer from one
 * thread at a time.
 *
 * See docs/chunk-stream.md for the wire rules followed, what real peers do
 * with extended timestamps, and the memory bounds.
 */
#ifndef __RTMP_CHUNK_H__
#define __RTMP_CHUNK_H__

#include <gst/gst.h>

#include "rtmpmessage.h"
#include "rtmpoutqueue.h"

G_BEGIN_DECLS

#define RTMP_CHUNK_SIZE_DEFAULT 128
#define RTMP_CHUNK_SIZE_MAX 0x7FFFFFFF
/* largest chunk header: 3-byte basic header, type 0, extended timestamp */
#define RTMP_CHUNK_HEADER_MAX 18
#define RTMP_CHUNK_STREAM_MIN 2
#define RTMP_CHUNK_STREAM_MAX 65599

/* The writer's default chunk streams, used when a message's
 * chunk_stream_id is 0 (see rtmp_chunk_stream_for_message()). */
#define RTMP_CHUNK_STREAM_CONTROL 2 /* protocol and user control */
#define RTMP_CHUNK_STREAM_COMMAND 3 /* commands and data on stream 0 */
#define RTMP_CHUNK_STREAM_AUDIO 4
#define RTMP_CHUNK_STREAM_STREAM_COMMAND 5 /* commands and data, stream > 0 */
#define RTMP_CHUNK_STREAM_VIDEO 6
#define RTMP_CHUNK_STREAM_OTHER 7 /* aggregate, shared objects, unknown */

/* ------------------------------------------------------------------------
 * Reader
 * ------------------------------------------------------------------------ */

typedef struct _RtmpChunkReader RtmpChunkReader;

RtmpChunkReader *rtmp_chunk_reader_new (void);
void rtmp_chunk_reader_free (RtmpChunkReader *r);

/* Lowers the caps on chunk streams with state and on bytes reserved by
 * partially received messages (defaults and maxima: RTMP_MAX_CHUNK_STREAMS
 * and RTMP_MAX_PENDING_BYTES from rtmplimits.h). 0 keeps a cap unchanged. */
void rtmp_chunk_reader_set_limits (
    RtmpChunkReader *r, guint max_chunk_streams, gsize max_pending_bytes);

/* Feeds @input (transfer none). Messages completed inside it become
 * available from rtmp_chunk_reader_pop(). A message that lies whole in one
 * chunk inside one GstMemory of @input is returned as a sub-buffer sharing
 * that memory (no copy); every other message is copied once into one
 * allocation of its length. FALSE on a protocol violation or a cap
 * exceeded: @error says what and at which byte offset of the chunk stream;
 * messages completed before the error can still be popped, and every later
 * push fails with the same error. */
gboolean rtmp_chunk_reader_push_buffer (
    RtmpChunkReader *r, GstBuffer *input, GError **error);
/* The same for plain bytes, which are copied (each payload byte once). */
gboolean rtmp_chunk_reader_push_data (
    RtmpChunkReader *r, const guint8 *data, gsize len, GError **error);

/* The next complete message in arrival order, or NULL (transfer full). Set
 * Chunk Size, Abort and Window Acknowledgement Size messages are acted on
 * by the reader and still returned here. */
RtmpMessage *rtmp_chunk_reader_pop (RtmpChunkReader *r);

/* Acknowledgement accounting. The reader counts every byte pushed (the
 * handshake is not pushed, so it is not counted) and remembers the peer's
 * Window Acknowledgement Size (0, the initial value, means no
 * acknowledgements). Returns TRUE when at least a window of bytes has
 * arrived since the last acknowledgement: @sequence_number is the 32-bit
 * (wrapping) count of bytes received to send in an Acknowledgement message;
 * the reader then considers it sent. */
gboolean rtmp_chunk_reader_take_ack (
    RtmpChunkReader *r, guint32 *sequence_number);

guint32 rtmp_chunk_reader_get_chunk_size (RtmpChunkReader *r);
guint32 rtmp_chunk_reader_get_window_ack_size (RtmpChunkReader *r);
guint64 rtmp_chunk_reader_get_bytes_received (RtmpChunkReader *r);
/* bytes reserved by messages started but not complete */
gsize rtmp_chunk_reader_get_pending_bytes (RtmpChunkReader *r);
guint rtmp_chunk_reader_get_n_chunk_streams (RtmpChunkReader *r);

/* ------------------------------------------------------------------------
 * Writer
 * ------------------------------------------------------------------------ */

typedef struct _RtmpChunkWriter RtmpChunkWriter;

RtmpChunkWriter *rtmp_chunk_writer_new (void);
void rtmp_chunk_writer_free (RtmpChunkWriter *w);

/* The chunk stream the writer uses for @msg: msg->chunk_stream_id when it
 * is not 0, otherwise 2 for protocol and user control messages (types 1 to
 * 6), 3 for commands and data on stream 0, 5 for commands and data on
 * other streams, 4 for audio, 6 for video, 7 for anything else. */
guint32 rtmp_chunk_stream_for_message (const RtmpMessage *msg);

/* Appends the chunks of @msg to @out. The payload is mapped and referenced
 * by @out until its last byte has been consumed from the queue
 * (rtmp_out_queue_consume() or rtmp_out_queue_clear()): the caller may drop
 * its own reference to the message at once. Header bytes are copied into
 * the queue; payload bytes are not copied.
 *
 * The header is the most compact one the peer can decode: type 0 for the
 * first message on a chunk stream, a stream id change, a timestamp going
 * backwards (as a signed 32-bit delta) or a delta that would need an
 * extended timestamp; type 1 when the type or length changes; type 3 when
 * the delta equals the previous message's and that one was sent with type
 * 1, 2 or 3; type 2 otherwise. Timestamps of 0xFFFFFF and above go in the
 * extended timestamp field, repeated in every continuation chunk.
 *
 * Writing a Set Chunk Size message (type 1) changes the chunk size for the
 * messages written after it; its body must hold a size of 1 to 0x7FFFFFFF.
 * Fails (nothing appended) on a payload over 0xFFFFFF bytes, a chunk
 * stream id outside 2..65599, or a bad Set Chunk Size body. */
gboolean rtmp_chunk_writer_write (RtmpChunkWriter *w, const RtmpMessage *msg,
    RtmpOutQueue *out, GError **error);
/* The same for @n_msgs messages in order; stops at the first failure, the
 * messages before it stay appended. */
gboolean rtmp_chunk_writer_write_many (RtmpChunkWriter *w,
    RtmpMessage *const *msgs, guint n_msgs, RtmpOutQueue *out, GError **error);
/* Serialises @msg into @out (copied), for tests and for the rare caller
 * that wants one contiguous block. Same rules and state as above. */
gboolean rtmp_chunk_writer_write_bytes (RtmpChunkWriter *w,
    const RtmpMessage *msg, GByteArray *out, GError **error);

guint32 rtmp_chunk_writer_get_chunk_size (RtmpChunkWriter *w);
/* Counters for the connection to honour the peer's Window Acknowledgement
 * Size and Set Peer Bandwidth: bytes of chunks produced (headers included)
 * and messages written since the writer was made. */
guint64 rtmp_chunk_writer_get_bytes_written (RtmpChunkWriter *w);
guint64 rtmp_chunk_writer_get_messages_written (RtmpChunkWriter *w);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpChunkReader, rtmp_chunk_reader_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpChunkWriter, rtmp_chunk_writer_free)

G_END_DECLS

#endif
