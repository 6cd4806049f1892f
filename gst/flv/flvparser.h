/* gst-rtmpe: a streaming FLV parser: bytes in, tags (as RTMP messages) out
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * For a sink fed a plain FLV byte stream (filesrc ! rtmpesink, flvmux !
 * rtmpesink without caps framing). Buffers may be cut anywhere, the file
 * header included. Usage:
 *
 *   flv_parser_push (parser, buffer);
 *   while ((msg = flv_parser_pop (parser, &error)))
 *     send (msg);
 *   if (error) fail;
 *
 * Every size is checked: DataSize is 24 bits by construction, so at most
 * one tag (16 MiB + 15 bytes) is held beyond what the caller pushed and did
 * not pop. A PreviousTagSize that disagrees with its tag is logged and
 * counted, never fatal (many writers got it wrong). Tags of unknown types
 * and encrypted (Filter bit) tags are skipped and counted.
 */
#ifndef __FLV_PARSER_H__
#define __FLV_PARSER_H__

#include <gst/gst.h>

#include "flvtag.h"

G_BEGIN_DECLS

typedef struct _FlvParser FlvParser;

FlvParser *flv_parser_new (void);
void flv_parser_free (FlvParser *parser);
/* Forget everything pushed; the next byte must start an FLV header. */
void flv_parser_reset (FlvParser *parser);

/* @buffer: (transfer full) */
void flv_parser_push (FlvParser *parser, GstBuffer *buffer);

/* The next whole tag as a message (transfer full: type = tag type,
 * timestamp = the tag's 32-bit timestamp, stream id 0, payload = the tag
 * data, sharing the pushed memories), or NULL when more bytes are needed
 * (no error) or the stream is malformed (error set: RTMP_ERROR_INVALID for a
 * bad file header; the parser then stays failed until reset). */
RtmpMessage *flv_parser_pop (FlvParser *parser, GError **error);

/* The file header, once it has been parsed (else FALSE). */
gboolean flv_parser_get_header (FlvParser *parser, FlvHeader *header);

/* Bytes pushed and not yet returned in a tag or skipped. */
gsize flv_parser_get_pending (FlvParser *parser);

/**
 * FlvParserStats:
 * @tags: tags returned by flv_parser_pop()
 * @skipped_tags: tags skipped (unknown type, Filter bit)
 * @bad_previous_tag_sizes: PreviousTagSize values that did not match
 *   11 + DataSize of their tag
 * @nonzero_stream_ids: tags whose StreamID was not 0 (used anyway)
 */
typedef struct
{
  guint64 tags;
  guint64 skipped_tags;
  guint64 bad_previous_tag_sizes;
  guint64 nonzero_stream_ids;
} FlvParserStats;

void flv_parser_get_stats (FlvParser *parser, FlvParserStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlvParser, flv_parser_free)

G_END_DECLS

#endif
