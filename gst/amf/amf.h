/* gst-rtmpe: AMF0 and AMF3, values <-> bytes
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Decoders take (data, size) and an offset; errors are in the RTMP_ERROR
 * domain (TRUNCATED, TOO_LARGE, TOO_DEEP, BAD_REFERENCE, UNKNOWN_TYPE,
 * UNSUPPORTED, INVALID) with a message naming the construct and its byte
 * offset in @data.
 *
 * Every top-level value has its own reference tables; an AMF0 0x11 switch
 * starts fresh AMF3 tables for the one value that follows (the encoders do
 * the same, so what they write never refers across values).
 *
 * What a peer can make us hold is bounded: nesting (AMF_MAX_DEPTH), every
 * count and length (AMF_MAX_ELEMENTS, AMF_MAX_STRING, and what is left of
 * the input), reference tables (AMF_MAX_REFERENCES), and the total memory
 * of the decoded tree: a budget of AMF_ALLOC_FACTOR bytes per input byte
 * (plus AMF_ALLOC_SLACK) that is charged before each allocation.
 */
#ifndef __AMF_H__
#define __AMF_H__

#include <glib.h>
#include "amfvalue.h"

G_BEGIN_DECLS

/**
 * AmfDecodeLimits:
 * @max_alloc: bytes the decoded values may take; 0 for the default
 *   (AMF_ALLOC_FACTOR * input bytes + AMF_ALLOC_SLACK)
 * @max_depth: nesting cap; 0 for AMF_MAX_DEPTH (never more than it)
 * @allocated: (out): bytes charged to the budget by the decode
 */
typedef struct
{
  gsize max_alloc;
  guint max_depth;
  gsize allocated;
} AmfDecodeLimits;

/* One value at *@offset of @data (@size bytes); on success *@offset is
 * moved past it. On failure *@offset is left as it was. */
AmfValue *amf0_decode (
    const guint8 *data, gsize size, gsize *offset, GError **error);
AmfValue *amf0_decode_full (const guint8 *data, gsize size, gsize *offset,
    AmfDecodeLimits *limits, GError **error);
/* All values from @offset to the end of @data, in a GPtrArray that frees
 * them (g_ptr_array_unref()). The budget covers the whole sequence. */
GPtrArray *amf0_decode_sequence (const guint8 *data, gsize size, gsize offset,
    AmfDecodeLimits *limits, GError **error);

/* Appends the encoding of @value to @out. Fails (leaving @out as it was)
 * on what cannot be written: a reference to an index not yet in the table,
 * an empty member name (it would read as the end marker), nesting deeper
 * than AMF_MAX_DEPTH, a string longer than the format allows. */
gboolean amf0_encode (const AmfValue *value, GByteArray *out, GError **error);
gboolean amf0_encode_sequence (const AmfValue *const *values, guint n_values,
    GByteArray *out, GError **error);

AmfValue *amf3_decode (
    const guint8 *data, gsize size, gsize *offset, GError **error);
AmfValue *amf3_decode_full (const guint8 *data, gsize size, gsize *offset,
    AmfDecodeLimits *limits, GError **error);
GPtrArray *amf3_decode_sequence (const guint8 *data, gsize size, gsize offset,
    AmfDecodeLimits *limits, GError **error);
gboolean amf3_encode (const AmfValue *value, GByteArray *out, GError **error);
gboolean amf3_encode_sequence (const AmfValue *const *values, guint n_values,
    GByteArray *out, GError **error);

G_END_DECLS

#endif
