/* gst-rtmpe: AMF0 (Adobe, "AMF 0 File Format Specification")
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Decoding keeps only a count of the complex values seen (objects, typed
 * objects, ECMA and strict arrays, in the order their markers appear) to
 * check reference indexes: references are never resolved.
 */
#include <string.h>

#include "amfprivate.h"
#include "rtmpbytes.h"

enum
{
  AMF0_NUMBER = 0x00,
  AMF0_BOOLEAN = 0x01,
  AMF0_STRING = 0x02,
  AMF0_OBJECT = 0x03,
  AMF0_MOVIECLIP = 0x04,
  AMF0_NULL = 0x05,
  AMF0_UNDEFINED = 0x06,
  AMF0_REFERENCE = 0x07,
  AMF0_ECMA_ARRAY = 0x08,
  AMF0_OBJECT_END = 0x09,
  AMF0_STRICT_ARRAY = 0x0A,
  AMF0_DATE = 0x0B,
  AMF0_LONG_STRING = 0x0C,
  AMF0_UNSUPPORTED = 0x0D,
  AMF0_RECORDSET = 0x0E,
  AMF0_XML_DOCUMENT = 0x0F,
  AMF0_TYPED_OBJECT = 0x10,
  AMF0_AVMPLUS = 0x11,
};

/* ---- decoding ---- */

typedef struct
{
  AmfReader *r;
  guint n_complex;
} Amf0Decoder;

static gboolean
need (AmfReader *r, gsize n, const gchar *what, gsize at, GError **error)
{
  if (amf_reader_left (r) >= n)
    return TRUE;
  amf_set_error (error, RTMP_ERROR_TRUNCATED,
      "AMF0 %s at offset %" G_GSIZE_FORMAT ": needs %" G_GSIZE_FORMAT
      " bytes at offset %" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT " left",
      what, at, n, r->pos, amf_reader_left (r));
  return FALSE;
}

static guint16
take_u16 (AmfReader *r)
{
  guint16 v = ((guint16) r->data[r->pos] << 8) | r->data[r->pos + 1];

  r->pos += 2;
  return v;
}

static guint32
take_u32 (AmfReader *r)
{
  guint32 v = rtmp_read_u32_be (r->data + r->pos);

  r->pos += 4;
  return v;
}

static gdouble
take_double (AmfReader *r)
{
  guint64 bits = ((guint64) rtmp_read_u32_be (r->data + r->pos) << 32) |
      rtmp_read_u32_be (r->data + r->pos + 4);
  gdouble d;

  memcpy (&d, &bits, sizeof (d));
  r->pos += 8;
  return d;
}

/* @len bytes at the read position, as a GRefString, after the checks. */
static gchar *
take_utf8 (AmfReader *r, gsize len, const gchar *what, gsize at, GError **error)
{
  gchar *s;

  if (len > AMF_MAX_STRING) {
    amf_set_error (error, RTMP_ERROR_TOO_LARGE,
        "AMF0 %s at offset %" G_GSIZE_FORMAT ": length %" G_GSIZE_FORMAT
        " exceeds the cap of %d bytes",
        what, at, len, AMF_MAX_STRING);
    return NULL;
  }
  if (len > amf_reader_left (r)) {
    amf_set_error (error, RTMP_ERROR_TRUNCATED,
        "AMF0 %s at offset %" G_GSIZE_FORMAT ": length %" G_GSIZE_FORMAT
        " exceeds the %" G_GSIZE_FORMAT " bytes left",
        what, at, len, amf_reader_left (r));
    return NULL;
  }
  if (!amf_reader_charge (r, AMF_COST_STRING (len), error))
    return NULL;
  s = g_ref_string_new_len ((const gchar *) r->data + r->pos, len);
  r->pos += len;
  return s;
}

static AmfValue *
new_value (AmfReader *r, AmfType type, GError **error)
{
  if (!amf_reader_charge (r, AMF_COST_VALUE, error))
    return NULL;
  return amf_value_alloc (type);
}

static gboolean
enter (Amf0Decoder *d, const gchar *what, gsize at, GError **error)
{
  AmfReader *r = d->r;

  if (r->depth >= r->max_depth) {
    amf_set_error (error, RTMP_ERROR_TOO_DEEP,
        "AMF0 %s at offset %" G_GSIZE_FORMAT ": nested deeper than %u levels",
        what, at, r->max_depth);
    return FALSE;
  }
  if (d->n_complex >= AMF_MAX_REFERENCES) {
    amf_set_error (error, RTMP_ERROR_TOO_LARGE,
        "AMF0 %s at offset %" G_GSIZE_FORMAT
        ": more than %d complex values in one value",
        what, at, AMF_MAX_REFERENCES);
    return FALSE;
  }
  /* the reference table counts complex values as their markers appear */
  d->n_complex++;
  r->depth++;
  return TRUE;
}

static AmfValue *read_value (Amf0Decoder *d, GError **error);

/* Members up to and including the empty name and object end marker. */
static gboolean
read_members (
    Amf0Decoder *d, AmfValue *v, const gchar *what, gsize at, GError **error)
{
  AmfReader *r = d->r;
  guint n = 0;

  if (!amf_reader_charge (r, AMF_COST_ARRAY, error))
    return FALSE;

  for (;;) {
    gsize len;
    gchar *name;
    AmfValue *member;

    if (!need (r, 2, what, at, error))
      return FALSE;
    len = take_u16 (r);
    if (len == 0) {
      if (!need (r, 1, what, at, error))
        return FALSE;
      if (r->data[r->pos] != AMF0_OBJECT_END) {
        amf_set_error (error, RTMP_ERROR_INVALID,
            "AMF0 %s at offset %" G_GSIZE_FORMAT
            ": empty member name not followed by the object end marker "
            "(0x%02x at offset %" G_GSIZE_FORMAT ")",
            what, at, r->data[r->pos], r->pos);
        return FALSE;
      }
      r->pos++;
      return TRUE;
    }
    if (n >= AMF_MAX_ELEMENTS) {
      amf_set_error (error, RTMP_ERROR_TOO_LARGE,
          "AMF0 %s at offset %" G_GSIZE_FORMAT ": more than %d members", what,
          at, AMF_MAX_ELEMENTS);
      return FALSE;
    }
    if (!amf_reader_charge (r, AMF_COST_SLOT (sizeof (AmfProperty)), error))
      return FALSE;
    name = take_utf8 (r, len, "member name", r->pos - 2, error);
    if (!name)
      return FALSE;
    member = read_value (d, error);
    if (!member) {
      g_ref_string_release (name);
      return FALSE;
    }
    amf_value_take_property (v, name, member);
    n++;
  }
}

static AmfValue *
read_object (Amf0Decoder *d, guint8 marker, gsize at, GError **error)
{
  AmfReader *r = d->r;
  const gchar *what = marker == AMF0_TYPED_OBJECT ? "typed object" : "object";
  gchar *class_name = NULL;
  AmfValue *v;

  if (marker == AMF0_TYPED_OBJECT) {
    if (!need (r, 2, what, at, error))
      return NULL;
    class_name =
        take_utf8 (r, take_u16 (r), "typed object class name", at, error);
    if (!class_name)
      return NULL;
  }
  if (!enter (d, what, at, error) ||
      !(v = new_value (r, AMF_TYPE_OBJECT, error))) {
    g_clear_pointer (&class_name, g_ref_string_release);
    return NULL;
  }
  v->v.object.class_name = class_name;
  v->v.object.dynamic = TRUE;
  if (!read_members (d, v, what, at, error)) {
    amf_value_free (v);
    return NULL;
  }
  r->depth--;
  return v;
}

static AmfValue *
read_ecma_array (Amf0Decoder *d, gsize at, GError **error)
{
  AmfReader *r = d->r;
  guint32 count;
  AmfValue *v;

  if (!need (r, 4, "ECMA array", at, error))
    return NULL;
  /* the count is only a hint: the members end with the end marker */
  count = take_u32 (r);
  if (!enter (d, "ECMA array", at, error) ||
      !(v = new_value (r, AMF_TYPE_ECMA_ARRAY, error)))
    return NULL;
  v->v.array.ecma_count = count;
  v->v.array.ecma_count_set = TRUE;
  if (!read_members (d, v, "ECMA array", at, error)) {
    amf_value_free (v);
    return NULL;
  }
  r->depth--;
  return v;
}

static AmfValue *
read_strict_array (Amf0Decoder *d, gsize at, GError **error)
{
  AmfReader *r = d->r;
  guint32 count, i;
  AmfValue *v;

  if (!need (r, 4, "strict array", at, error))
    return NULL;
  count = take_u32 (r);
  if (count > AMF_MAX_ELEMENTS) {
    amf_set_error (error, RTMP_ERROR_TOO_LARGE,
        "AMF0 strict array at offset %" G_GSIZE_FORMAT
        ": count %u exceeds the cap of %d",
        at, count, AMF_MAX_ELEMENTS);
    return NULL;
  }
  /* each element takes at least its marker byte */
  if (count > amf_reader_left (r)) {
    amf_set_error (error, RTMP_ERROR_TRUNCATED,
        "AMF0 strict array at offset %" G_GSIZE_FORMAT
        ": count %u exceeds the %" G_GSIZE_FORMAT " bytes left",
        at, count, amf_reader_left (r));
    return NULL;
  }
  if (!enter (d, "strict array", at, error) ||
      !amf_reader_charge (r,
          AMF_COST_ARRAY + AMF_COST_SLOT ((gsize) count * sizeof (gpointer)),
          error) ||
      !(v = new_value (r, AMF_TYPE_STRICT_ARRAY, error)))
    return NULL;
  v->v.array.dense =
      g_ptr_array_new_full (count, (GDestroyNotify) amf_value_free);
  for (i = 0; i < count; i++) {
    AmfValue *e = read_value (d, error);

    if (!e) {
      amf_value_free (v);
      return NULL;
    }
    g_ptr_array_add (v->v.array.dense, e);
  }
  r->depth--;
  return v;
}

static AmfValue *
read_value (Amf0Decoder *d, GError **error)
{
  AmfReader *r = d->r;
  gsize at = r->pos;
  guint8 marker;
  AmfValue *v = NULL;
  gchar *s;

  if (!need (r, 1, "value", at, error))
    return NULL;
  marker = r->data[r->pos++];

  switch (marker) {
    case AMF0_NUMBER:
      if (need (r, 8, "number", at, error) &&
          (v = new_value (r, AMF_TYPE_NUMBER, error)))
        v->v.number = take_double (r);
      return v;
    case AMF0_BOOLEAN:
      if (need (r, 1, "boolean", at, error) &&
          (v = new_value (r, AMF_TYPE_BOOLEAN, error)))
        v->v.boolean = r->data[r->pos++] != 0;
      return v;
    case AMF0_STRING:
      if (!need (r, 2, "string", at, error) ||
          !amf_reader_charge (r, AMF_COST_VALUE, error) ||
          !(s = take_utf8 (r, take_u16 (r), "string", at, error)))
        return NULL;
      return amf_value_new_take_string (AMF_TYPE_STRING, s);
    case AMF0_LONG_STRING:
    case AMF0_XML_DOCUMENT: {
      const gchar *what =
          marker == AMF0_LONG_STRING ? "long string" : "XML document";

      if (!need (r, 4, what, at, error) ||
          !amf_reader_charge (r, AMF_COST_VALUE, error) ||
          !(s = take_utf8 (r, take_u32 (r), what, at, error)))
        return NULL;
      return amf_value_new_take_string (
          marker == AMF0_LONG_STRING ? AMF_TYPE_STRING : AMF_TYPE_XML_DOCUMENT,
          s);
    }
    case AMF0_OBJECT:
    case AMF0_TYPED_OBJECT:
      return read_object (d, marker, at, error);
    case AMF0_NULL:
      return new_value (r, AMF_TYPE_NULL, error);
    case AMF0_UNDEFINED:
      return new_value (r, AMF_TYPE_UNDEFINED, error);
    case AMF0_UNSUPPORTED:
      return new_value (r, AMF_TYPE_UNSUPPORTED, error);
    case AMF0_REFERENCE: {
      guint16 index;

      if (!need (r, 2, "reference", at, error))
        return NULL;
      index = take_u16 (r);
      if (index >= d->n_complex) {
        amf_set_error (error, RTMP_ERROR_BAD_REFERENCE,
            "AMF0 reference at offset %" G_GSIZE_FORMAT
            ": index %u but only %u complex values came before it",
            at, index, d->n_complex);
        return NULL;
      }
      if ((v = new_value (r, AMF_TYPE_REFERENCE, error))) {
        v->v.reference.index = index;
        v->v.reference.amf3_marker = 0x0A;
      }
      return v;
    }
    case AMF0_ECMA_ARRAY:
      return read_ecma_array (d, at, error);
    case AMF0_STRICT_ARRAY:
      return read_strict_array (d, at, error);
    case AMF0_DATE:
      if (need (r, 10, "date", at, error) &&
          (v = new_value (r, AMF_TYPE_DATE, error))) {
        v->v.date.ms = take_double (r);
        v->v.date.timezone = (gint16) take_u16 (r);
      }
      return v;
    case AMF0_AVMPLUS: {
      AmfValue *inner;

      if (!amf_reader_charge (r, AMF_COST_VALUE, error) ||
          !(inner = amf3_read_switched (r, error)))
        return NULL;
      return amf_value_new_avmplus (inner);
    }
    case AMF0_MOVIECLIP:
    case AMF0_RECORDSET:
      amf_set_error (error, RTMP_ERROR_UNSUPPORTED,
          "AMF0 value at offset %" G_GSIZE_FORMAT
          ": the %s marker (0x%02x) is reserved and not supported",
          at, marker == AMF0_MOVIECLIP ? "movieclip" : "recordset", marker);
      return NULL;
    case AMF0_OBJECT_END:
      amf_set_error (error, RTMP_ERROR_INVALID,
          "AMF0 value at offset %" G_GSIZE_FORMAT
          ": object end marker (0x09) outside an object",
          at);
      return NULL;
    default:
      amf_set_error (error, RTMP_ERROR_UNKNOWN_TYPE,
          "AMF0 value at offset %" G_GSIZE_FORMAT
          ": unknown type marker 0x%02x",
          at, marker);
      return NULL;
  }
}

static AmfValue *
read_top (AmfReader *r, GError **error)
{
  Amf0Decoder d = { r, 0 };

  return read_value (&d, error);
}

AmfValue *
amf0_decode_full (const guint8 *data, gsize size, gsize *offset,
    AmfDecodeLimits *limits, GError **error)
{
  AmfReader r;
  AmfValue *v;
  gsize start = offset ? *offset : 0;

  g_return_val_if_fail (data != NULL || size == 0, NULL);
  g_return_val_if_fail (start <= size, NULL);

  amf_reader_init (&r, data, size, start, limits);
  v = read_top (&r, error);
  if (limits)
    limits->allocated = r.used;
  if (v && offset)
    *offset = r.pos;
  return v;
}

AmfValue *
amf0_decode (const guint8 *data, gsize size, gsize *offset, GError **error)
{
  return amf0_decode_full (data, size, offset, NULL, error);
}

GPtrArray *
amf0_decode_sequence (const guint8 *data, gsize size, gsize offset,
    AmfDecodeLimits *limits, GError **error)
{
  AmfReader r;
  GPtrArray *values;

  g_return_val_if_fail (data != NULL || size == 0, NULL);
  g_return_val_if_fail (offset <= size, NULL);

  amf_reader_init (&r, data, size, offset, limits);
  values = g_ptr_array_new_with_free_func ((GDestroyNotify) amf_value_free);
  while (r.pos < r.size) {
    AmfValue *v;

    if (values->len >= AMF_MAX_ELEMENTS) {
      amf_set_error (error, RTMP_ERROR_TOO_LARGE,
          "AMF0 sequence: more than %d values at offset %" G_GSIZE_FORMAT,
          AMF_MAX_ELEMENTS, r.pos);
      g_clear_pointer (&values, g_ptr_array_unref);
      break;
    }
    if (!amf_reader_charge (&r, AMF_COST_SLOT (sizeof (gpointer)), error) ||
        !(v = read_top (&r, error))) {
      g_clear_pointer (&values, g_ptr_array_unref);
      break;
    }
    g_ptr_array_add (values, v);
  }
  if (limits)
    limits->allocated = r.used;
  return values;
}

/* ---- encoding ---- */

typedef struct
{
  GByteArray *out;
  guint n_complex;
} Amf0Encoder;

static void
put_u8 (GByteArray *out, guint8 v)
{
  g_byte_array_append (out, &v, 1);
}

static void
put_u16 (GByteArray *out, guint16 v)
{
  guint8 b[2] = { v >> 8, v & 0xff };

  g_byte_array_append (out, b, 2);
}

static void
put_u32 (GByteArray *out, guint32 v)
{
  guint8 b[4];

  rtmp_write_u32_be (b, v);
  g_byte_array_append (out, b, 4);
}

static void
put_double (GByteArray *out, gdouble d)
{
  guint64 bits;

  memcpy (&bits, &d, sizeof (bits));
  put_u32 (out, bits >> 32);
  put_u32 (out, bits & 0xffffffff);
}

static gboolean
put_name (GByteArray *out, const gchar *name, const gchar *what, GError **error)
{
  gsize len = g_ref_string_length ((gchar *) name);

  if (len == 0) {
    amf_set_error (error, RTMP_ERROR_INVALID,
        "AMF0 %s: an empty member name cannot be written (it would read as "
        "the end of the members)",
        what);
    return FALSE;
  }
  if (len > G_MAXUINT16) {
    amf_set_error (error, RTMP_ERROR_TOO_LARGE,
        "AMF0 %s: member name of %" G_GSIZE_FORMAT
        " bytes exceeds the 65535 a name can hold",
        what, len);
    return FALSE;
  }
  put_u16 (out, len);
  g_byte_array_append (out, (const guint8 *) name, len);
  return TRUE;
}

static gboolean write_value (
    Amf0Encoder *e, const AmfValue *v, guint depth, GError **error);

static gboolean
write_members (Amf0Encoder *e, const AmfValue *v, const gchar *what,
    guint depth, GError **error)
{
  guint n, i;
  AmfProperty *props = amf_value_peek_properties (v, &n);

  for (i = 0; i < n; i++) {
    if (!put_name (e->out, props[i].name, what, error) ||
        !write_value (e, props[i].value, depth + 1, error))
      return FALSE;
  }
  put_u16 (e->out, 0);
  put_u8 (e->out, AMF0_OBJECT_END);
  return TRUE;
}

static gboolean
enter_write (Amf0Encoder *e, const AmfValue *v, guint depth, GError **error)
{
  if (depth >= AMF_MAX_DEPTH) {
    amf_set_error (error, RTMP_ERROR_TOO_DEEP,
        "AMF0 %s: nested deeper than %d levels", amf_type_name (v->type),
        AMF_MAX_DEPTH);
    return FALSE;
  }
  e->n_complex++;
  return TRUE;
}

static gboolean
write_value (Amf0Encoder *e, const AmfValue *v, guint depth, GError **error)
{
  GByteArray *out = e->out;

  switch (v->type) {
    case AMF_TYPE_NUMBER:
      put_u8 (out, AMF0_NUMBER);
      put_double (out, v->v.number);
      return TRUE;
    case AMF_TYPE_INTEGER:
      put_u8 (out, AMF0_NUMBER);
      put_double (out, v->v.integer);
      return TRUE;
    case AMF_TYPE_BOOLEAN:
      put_u8 (out, AMF0_BOOLEAN);
      put_u8 (out, v->v.boolean ? 1 : 0);
      return TRUE;
    case AMF_TYPE_STRING:
    case AMF_TYPE_XML_DOCUMENT: {
      gsize len = g_ref_string_length (v->v.string);

      if (len > G_MAXUINT32) {
        amf_set_error (error, RTMP_ERROR_TOO_LARGE,
            "AMF0 %s of %" G_GSIZE_FORMAT " bytes is too long to write",
            amf_type_name (v->type), len);
        return FALSE;
      }
      if (v->type == AMF_TYPE_STRING && len <= G_MAXUINT16) {
        put_u8 (out, AMF0_STRING);
        put_u16 (out, len);
      } else {
        put_u8 (out,
            v->type == AMF_TYPE_STRING ? AMF0_LONG_STRING : AMF0_XML_DOCUMENT);
        put_u32 (out, len);
      }
      g_byte_array_append (out, (const guint8 *) v->v.string, len);
      return TRUE;
    }
    case AMF_TYPE_OBJECT: {
      const gchar *class_name = v->v.object.class_name;

      if (!enter_write (e, v, depth, error))
        return FALSE;
      if (class_name) {
        gsize len = g_ref_string_length ((gchar *) class_name);

        if (len > G_MAXUINT16) {
          amf_set_error (error, RTMP_ERROR_TOO_LARGE,
              "AMF0 typed object: class name of %" G_GSIZE_FORMAT
              " bytes exceeds 65535",
              len);
          return FALSE;
        }
        put_u8 (out, AMF0_TYPED_OBJECT);
        put_u16 (out, len);
        g_byte_array_append (out, (const guint8 *) class_name, len);
        return write_members (e, v, "typed object", depth, error);
      }
      put_u8 (out, AMF0_OBJECT);
      return write_members (e, v, "object", depth, error);
    }
    case AMF_TYPE_NULL:
      put_u8 (out, AMF0_NULL);
      return TRUE;
    case AMF_TYPE_UNDEFINED:
      put_u8 (out, AMF0_UNDEFINED);
      return TRUE;
    case AMF_TYPE_UNSUPPORTED:
      put_u8 (out, AMF0_UNSUPPORTED);
      return TRUE;
    case AMF_TYPE_REFERENCE:
      if (v->v.reference.index >= e->n_complex ||
          v->v.reference.index > G_MAXUINT16) {
        amf_set_error (error, RTMP_ERROR_BAD_REFERENCE,
            "AMF0 reference: index %u but only %u complex values were "
            "written before it",
            v->v.reference.index, e->n_complex);
        return FALSE;
      }
      put_u8 (out, AMF0_REFERENCE);
      put_u16 (out, v->v.reference.index);
      return TRUE;
    case AMF_TYPE_ECMA_ARRAY:
      if (!enter_write (e, v, depth, error))
        return FALSE;
      put_u8 (out, AMF0_ECMA_ARRAY);
      put_u32 (out, amf_value_get_ecma_count (v));
      return write_members (e, v, "ECMA array", depth, error);
    case AMF_TYPE_STRICT_ARRAY: {
      GPtrArray *a = v->v.array.dense;
      guint n = a ? a->len : 0, i;

      if (!enter_write (e, v, depth, error))
        return FALSE;
      put_u8 (out, AMF0_STRICT_ARRAY);
      put_u32 (out, n);
      for (i = 0; i < n; i++) {
        if (!write_value (e, g_ptr_array_index (a, i), depth + 1, error))
          return FALSE;
      }
      return TRUE;
    }
    case AMF_TYPE_DATE:
      put_u8 (out, AMF0_DATE);
      put_double (out, v->v.date.ms);
      put_u16 (out, (guint16) v->v.date.timezone);
      return TRUE;
    case AMF_TYPE_AVMPLUS:
      put_u8 (out, AMF0_AVMPLUS);
      return amf3_write_switched (v->v.inner, out, depth, error);
    case AMF_TYPE_ARRAY:
    case AMF_TYPE_XML:
    case AMF_TYPE_BYTE_ARRAY:
    case AMF_TYPE_VECTOR_INT:
    case AMF_TYPE_VECTOR_UINT:
    case AMF_TYPE_VECTOR_DOUBLE:
    case AMF_TYPE_VECTOR_OBJECT:
    case AMF_TYPE_DICTIONARY:
      /* no AMF0 form: switch to AMF3 for this value */
      put_u8 (out, AMF0_AVMPLUS);
      return amf3_write_switched (v, out, depth, error);
  }
  amf_set_error (
      error, RTMP_ERROR_INVALID, "AMF0: invalid value type %d", v->type);
  return FALSE;
}

gboolean
amf0_encode_sequence (const AmfValue *const *values, guint n_values,
    GByteArray *out, GError **error)
{
  guint start, i;

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (values != NULL || n_values == 0, FALSE);

  start = out->len;
  for (i = 0; i < n_values; i++) {
    Amf0Encoder e = { out, 0 };

    g_return_val_if_fail (values[i] != NULL, FALSE);
    if (!write_value (&e, values[i], 0, error)) {
      g_byte_array_set_size (out, start);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
amf0_encode (const AmfValue *value, GByteArray *out, GError **error)
{
  g_return_val_if_fail (value != NULL, FALSE);
  return amf0_encode_sequence (&value, 1, out, error);
}
