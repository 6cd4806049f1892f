/* gst-rtmpe: AMF3 (Adobe, "AMF 3 Specification")
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Three reference tables per top-level value: strings and traits are
 * resolved (immutable and bounded: a string reference shares the string,
 * it does not copy it), objects are not (an object reference stays an
 * AMF_TYPE_REFERENCE value with its index, checked against the number of
 * values in the object table so far).
 */
#include <string.h>

#include "amfprivate.h"
#include "rtmpbytes.h"

enum
{
  AMF3_UNDEFINED = 0x00,
  AMF3_NULL = 0x01,
  AMF3_FALSE = 0x02,
  AMF3_TRUE = 0x03,
  AMF3_INTEGER = 0x04,
  AMF3_DOUBLE = 0x05,
  AMF3_STRING = 0x06,
  AMF3_XML_DOCUMENT = 0x07,
  AMF3_DATE = 0x08,
  AMF3_ARRAY = 0x09,
  AMF3_OBJECT = 0x0A,
  AMF3_XML = 0x0B,
  AMF3_BYTE_ARRAY = 0x0C,
  AMF3_VECTOR_INT = 0x0D,
  AMF3_VECTOR_UINT = 0x0E,
  AMF3_VECTOR_DOUBLE = 0x0F,
  AMF3_VECTOR_OBJECT = 0x10,
  AMF3_DICTIONARY = 0x11,
};

#define U29_MAX ((1u << 29) - 1)
/* lengths and counts travel shifted left by one in a U29 */
#define U29_LEN_MAX ((1u << 28) - 1)

/* ---- decoding ---- */

typedef struct
{
  gchar *class_name; /* GRefString, "" when anonymous */
  gboolean dynamic;
  guint32 n_sealed;
  gchar **sealed; /* GRefStrings */
} Amf3Traits;

typedef struct
{
  AmfReader *r;
  GPtrArray *strings; /* GRefStrings */
  GPtrArray *traits; /* Amf3Traits */
  guint n_objects;
} Amf3Decoder;

static void
traits_free (gpointer p)
{
  Amf3Traits *t = p;
  guint i;

  if (!t)
    return;
  for (i = 0; i < t->n_sealed; i++)
    g_clear_pointer (&t->sealed[i], g_ref_string_release);
  g_clear_pointer (&t->class_name, g_ref_string_release);
  g_free (t->sealed);
  g_free (t);
}

static gboolean
need (AmfReader *r, gsize n, const gchar *what, gsize at, GError **error)
{
  if (amf_reader_left (r) >= n)
    return TRUE;
  amf_set_error (error, RTMP_ERROR_TRUNCATED,
      "AMF3 %s at offset %" G_GSIZE_FORMAT ": needs %" G_GSIZE_FORMAT
      " bytes at offset %" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT " left",
      what, at, n, r->pos, amf_reader_left (r));
  return FALSE;
}

static gboolean
read_u29 (
    AmfReader *r, guint32 *out, const gchar *what, gsize at, GError **error)
{
  guint32 v = 0;
  guint i;

  for (i = 0; i < 3; i++) {
    guint8 b;

    if (!need (r, 1, what, at, error))
      return FALSE;
    b = r->data[r->pos++];
    v = (v << 7) | (b & 0x7f);
    if (!(b & 0x80)) {
      *out = v;
      return TRUE;
    }
  }
  if (!need (r, 1, what, at, error))
    return FALSE;
  *out = (v << 8) | r->data[r->pos++];
  return TRUE;
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

/* A length or count from a U29 header: under the cap, and fitting in what
 * is left when each unit takes at least @unit bytes. */
static gboolean
check_count (AmfReader *r, guint32 count, guint cap, gsize unit,
    const gchar *what, gsize at, GError **error)
{
  const gchar *noun = unit == 0 ? "length" : "count";

  if (count > cap) {
    amf_set_error (error, RTMP_ERROR_TOO_LARGE,
        "AMF3 %s at offset %" G_GSIZE_FORMAT ": %s %u exceeds the cap of %u",
        what, at, noun, count, cap);
    return FALSE;
  }
  if (count > amf_reader_left (r) / MAX (unit, 1)) {
    amf_set_error (error, RTMP_ERROR_TRUNCATED,
        "AMF3 %s at offset %" G_GSIZE_FORMAT
        ": %s %u needs at least %" G_GSIZE_FORMAT " bytes, %" G_GSIZE_FORMAT
        " left",
        what, at, noun, count, (gsize) count * MAX (unit, 1),
        amf_reader_left (r));
    return FALSE;
  }
  return TRUE;
}

static AmfValue *
new_value (AmfReader *r, AmfType type, GError **error)
{
  if (!amf_reader_charge (r, AMF_COST_VALUE, error))
    return NULL;
  return amf_value_alloc (type);
}

/* A UTF-8-vr: a string by value (added to the table unless empty) or by
 * reference. Returns a GRefString, "" for the empty string. */
static gchar *
read_string (Amf3Decoder *d, const gchar *what, gsize at, GError **error)
{
  AmfReader *r = d->r;
  guint32 u29, len;
  gchar *s;

  if (!read_u29 (r, &u29, what, at, error))
    return NULL;
  if (!(u29 & 1)) {
    guint32 index = u29 >> 1;

    if (index >= d->strings->len) {
      amf_set_error (error, RTMP_ERROR_BAD_REFERENCE,
          "AMF3 %s at offset %" G_GSIZE_FORMAT
          ": string reference %u but only %u strings came before it",
          what, at, index, d->strings->len);
      return NULL;
    }
    return g_ref_string_acquire (g_ptr_array_index (d->strings, index));
  }
  len = u29 >> 1;
  if (!check_count (r, len, AMF_MAX_STRING, 0, what, at, error) ||
      !amf_reader_charge (r, AMF_COST_STRING (len), error))
    return NULL;
  s = g_ref_string_new_len ((const gchar *) r->data + r->pos, len);
  r->pos += len;
  if (len > 0) {
    if (d->strings->len >= AMF_MAX_REFERENCES ||
        !amf_reader_charge (r, AMF_COST_SLOT (sizeof (gpointer)), error)) {
      if (d->strings->len >= AMF_MAX_REFERENCES)
        amf_set_error (error, RTMP_ERROR_TOO_LARGE,
            "AMF3 %s at offset %" G_GSIZE_FORMAT
            ": more than %d strings in one value",
            what, at, AMF_MAX_REFERENCES);
      g_ref_string_release (s);
      return NULL;
    }
    g_ptr_array_add (d->strings, g_ref_string_acquire (s));
  }
  return s;
}

/* Adds the value starting at @at to the object table. */
static gboolean
add_object (Amf3Decoder *d, const gchar *what, gsize at, GError **error)
{
  if (d->n_objects >= AMF_MAX_REFERENCES) {
    amf_set_error (error, RTMP_ERROR_TOO_LARGE,
        "AMF3 %s at offset %" G_GSIZE_FORMAT
        ": more than %d objects in one value",
        what, at, AMF_MAX_REFERENCES);
    return FALSE;
  }
  d->n_objects++;
  return TRUE;
}

static gboolean
enter (Amf3Decoder *d, const gchar *what, gsize at, GError **error)
{
  AmfReader *r = d->r;

  if (r->depth >= r->max_depth) {
    amf_set_error (error, RTMP_ERROR_TOO_DEEP,
        "AMF3 %s at offset %" G_GSIZE_FORMAT ": nested deeper than %u levels",
        what, at, r->max_depth);
    return FALSE;
  }
  r->depth++;
  return TRUE;
}

/* The U29 header of a value that may come by reference to the object
 * table. Returns FALSE on error; *@ref is set when it was a reference (and
 * then the reference value is made). */
static gboolean
read_header (Amf3Decoder *d, guint8 marker, const gchar *what, gsize at,
    guint32 *u29, AmfValue **ref, GError **error)
{
  guint32 index;

  *ref = NULL;
  if (!read_u29 (d->r, u29, what, at, error))
    return FALSE;
  if (*u29 & 1)
    return TRUE;

  index = *u29 >> 1;
  if (index >= d->n_objects) {
    amf_set_error (error, RTMP_ERROR_BAD_REFERENCE,
        "AMF3 %s at offset %" G_GSIZE_FORMAT
        ": object reference %u but only %u objects came before it",
        what, at, index, d->n_objects);
    return FALSE;
  }
  if (!(*ref = new_value (d->r, AMF_TYPE_REFERENCE, error)))
    return FALSE;
  (*ref)->v.reference.index = index;
  (*ref)->v.reference.amf3_marker = marker;
  return TRUE;
}

static AmfValue *read_value (Amf3Decoder *d, GError **error);

static AmfValue *
read_text (Amf3Decoder *d, guint8 marker, gsize at, GError **error)
{
  AmfReader *r = d->r;
  const gchar *what = marker == AMF3_XML ? "XML" : "XML document";
  guint32 u29, len;
  AmfValue *v;

  if (!read_header (d, marker, what, at, &u29, &v, error) || v)
    return v;
  len = u29 >> 1;
  if (!check_count (r, len, AMF_MAX_STRING, 0, what, at, error) ||
      !add_object (d, what, at, error) ||
      !amf_reader_charge (r, AMF_COST_VALUE + AMF_COST_STRING (len), error))
    return NULL;
  v = amf_value_new_take_string (
      marker == AMF3_XML ? AMF_TYPE_XML : AMF_TYPE_XML_DOCUMENT,
      g_ref_string_new_len ((const gchar *) r->data + r->pos, len));
  r->pos += len;
  return v;
}

static AmfValue *
read_byte_array (Amf3Decoder *d, gsize at, GError **error)
{
  AmfReader *r = d->r;
  guint32 u29, len;
  AmfValue *v;

  if (!read_header (d, AMF3_BYTE_ARRAY, "ByteArray", at, &u29, &v, error) || v)
    return v;
  len = u29 >> 1;
  if (!check_count (r, len, AMF_MAX_STRING, 0, "ByteArray", at, error) ||
      !add_object (d, "ByteArray", at, error) ||
      !amf_reader_charge (
          r, AMF_COST_VALUE + AMF_COST_ARRAY + AMF_COST_STRING (len), error))
    return NULL;
  v = amf_value_alloc (AMF_TYPE_BYTE_ARRAY);
  v->v.bytes = g_bytes_new (r->data + r->pos, len);
  r->pos += len;
  return v;
}

static AmfValue *
read_date (Amf3Decoder *d, gsize at, GError **error)
{
  AmfReader *r = d->r;
  guint32 u29;
  AmfValue *v;

  /* the header's other bits are unused */
  if (!read_header (d, AMF3_DATE, "date", at, &u29, &v, error) || v)
    return v;
  if (!need (r, 8, "date", at, error) || !add_object (d, "date", at, error) ||
      !(v = new_value (r, AMF_TYPE_DATE, error)))
    return NULL;
  v->v.date.ms = take_double (r);
  return v;
}

/* Named members up to the empty name, into @v (array or dynamic object). */
static gboolean
read_dynamic_members (Amf3Decoder *d, AmfValue *v, guint n, const gchar *what,
    gsize at, GError **error)
{
  AmfReader *r = d->r;

  for (;;) {
    gchar *name = read_string (d, what, at, error);
    AmfValue *member;

    if (!name)
      return FALSE;
    if (g_ref_string_length (name) == 0) {
      g_ref_string_release (name);
      return TRUE;
    }
    if (n >= AMF_MAX_ELEMENTS) {
      amf_set_error (error, RTMP_ERROR_TOO_LARGE,
          "AMF3 %s at offset %" G_GSIZE_FORMAT ": more than %d members", what,
          at, AMF_MAX_ELEMENTS);
      g_ref_string_release (name);
      return FALSE;
    }
    if (!amf_reader_charge (r, AMF_COST_SLOT (sizeof (AmfProperty)), error) ||
        !(member = read_value (d, error))) {
      g_ref_string_release (name);
      return FALSE;
    }
    amf_value_take_property (v, name, member);
    n++;
  }
}

static gboolean
read_elements (Amf3Decoder *d, GPtrArray **slot, guint32 count, GError **error)
{
  guint32 i;

  if (count == 0)
    return TRUE;
  if (!amf_reader_charge (d->r,
          AMF_COST_ARRAY + AMF_COST_SLOT ((gsize) count * sizeof (gpointer)),
          error))
    return FALSE;
  *slot = g_ptr_array_new_full (count, (GDestroyNotify) amf_value_free);
  for (i = 0; i < count; i++) {
    AmfValue *e = read_value (d, error);

    if (!e)
      return FALSE;
    g_ptr_array_add (*slot, e);
  }
  return TRUE;
}

static AmfValue *
read_array (Amf3Decoder *d, gsize at, GError **error)
{
  AmfReader *r = d->r;
  guint32 u29, dense;
  AmfValue *v;

  if (!read_header (d, AMF3_ARRAY, "array", at, &u29, &v, error) || v)
    return v;
  dense = u29 >> 1;
  /* each element takes at least one byte, and so does the empty name
   * ending the associative part */
  if (!check_count (r, dense, AMF_MAX_ELEMENTS, 1, "array", at, error) ||
      !enter (d, "array", at, error) || !add_object (d, "array", at, error) ||
      !amf_reader_charge (r, AMF_COST_ARRAY, error) ||
      !(v = new_value (r, AMF_TYPE_ARRAY, error)))
    return NULL;
  if (!read_dynamic_members (d, v, 0, "array", at, error) ||
      !read_elements (d, &v->v.array.dense, dense, error)) {
    amf_value_free (v);
    return NULL;
  }
  r->depth--;
  return v;
}

static Amf3Traits *
read_traits (Amf3Decoder *d, guint32 u29, gsize at, GError **error)
{
  AmfReader *r = d->r;
  Amf3Traits *t;
  guint32 n_sealed = u29 >> 4, i;

  if (d->traits->len >= AMF_MAX_REFERENCES) {
    amf_set_error (error, RTMP_ERROR_TOO_LARGE,
        "AMF3 object at offset %" G_GSIZE_FORMAT
        ": more than %d traits in one value",
        at, AMF_MAX_REFERENCES);
    return NULL;
  }
  /* each name, then each value, takes at least one byte */
  if (!check_count (
          r, n_sealed, AMF_MAX_ELEMENTS, 2, "object traits", at, error) ||
      !amf_reader_charge (r,
          sizeof (Amf3Traits) + 2 * AMF_COST_ALLOC +
              (gsize) n_sealed * sizeof (gpointer) +
              AMF_COST_SLOT (sizeof (gpointer)),
          error))
    return NULL;

  t = g_new0 (Amf3Traits, 1);
  t->dynamic = (u29 >> 3) & 1;
  t->class_name = read_string (d, "object class name", at, error);
  if (!t->class_name)
    goto fail;
  t->sealed = g_new0 (gchar *, MAX (n_sealed, 1));
  for (i = 0; i < n_sealed; i++) {
    t->sealed[i] = read_string (d, "object sealed member name", at, error);
    if (!t->sealed[i])
      goto fail;
    t->n_sealed = i + 1;
  }
  g_ptr_array_add (d->traits, t);
  return t;

fail:
  traits_free (t);
  return NULL;
}

static AmfValue *
read_object (Amf3Decoder *d, gsize at, GError **error)
{
  AmfReader *r = d->r;
  guint32 u29, i;
  Amf3Traits *t;
  AmfValue *v;

  if (!read_header (d, AMF3_OBJECT, "object", at, &u29, &v, error) || v)
    return v;

  if ((u29 & 3) == 1) {
    guint32 index = u29 >> 2;

    if (index >= d->traits->len) {
      amf_set_error (error, RTMP_ERROR_BAD_REFERENCE,
          "AMF3 object at offset %" G_GSIZE_FORMAT
          ": traits reference %u but only %u traits came before it",
          at, index, d->traits->len);
      return NULL;
    }
    t = g_ptr_array_index (d->traits, index);
  } else if ((u29 & 7) == 7) {
    /* its members are written by the class's own code, with no length:
     * nothing after it can be found */
    GError *ignored = NULL;
    gchar *class_name = read_string (d, "object class name", at, &ignored);

    amf_set_error (error, RTMP_ERROR_UNSUPPORTED,
        "AMF3 object at offset %" G_GSIZE_FORMAT
        ": externalizable class '%s' is not supported (its data is "
        "class-specific)",
        at, class_name ? class_name : "?");
    g_clear_pointer (&class_name, g_ref_string_release);
    g_clear_error (&ignored);
    return NULL;
  } else {
    t = read_traits (d, u29, at, error);
    if (!t)
      return NULL;
  }

  if (!check_count (r, t->n_sealed, AMF_MAX_ELEMENTS, 1, "object", at, error) ||
      !enter (d, "object", at, error) || !add_object (d, "object", at, error) ||
      !amf_reader_charge (r,
          AMF_COST_ARRAY +
              AMF_COST_SLOT ((gsize) t->n_sealed * sizeof (AmfProperty)),
          error) ||
      !(v = new_value (r, AMF_TYPE_OBJECT, error)))
    return NULL;

  if (g_ref_string_length (t->class_name) > 0)
    v->v.object.class_name = g_ref_string_acquire (t->class_name);
  v->v.object.sealed_count = t->n_sealed;
  v->v.object.dynamic = t->dynamic;
  if (t->n_sealed)
    v->v.object.props = amf_property_array_new (t->n_sealed);
  for (i = 0; i < t->n_sealed; i++) {
    AmfValue *member = read_value (d, error);

    if (!member)
      goto fail;
    amf_value_take_property (v, g_ref_string_acquire (t->sealed[i]), member);
  }
  if (t->dynamic &&
      !read_dynamic_members (d, v, t->n_sealed, "object", at, error))
    goto fail;
  r->depth--;
  return v;

fail:
  amf_value_free (v);
  return NULL;
}

static AmfValue *
read_vector (Amf3Decoder *d, guint8 marker, gsize at, GError **error)
{
  AmfReader *r = d->r;
  const gchar *what;
  AmfType type;
  guint size;
  guint32 u29, count, i;
  gboolean fixed;
  AmfValue *v;

  switch (marker) {
    case AMF3_VECTOR_INT:
      what = "Vector.<int>";
      type = AMF_TYPE_VECTOR_INT;
      size = 4;
      break;
    case AMF3_VECTOR_UINT:
      what = "Vector.<uint>";
      type = AMF_TYPE_VECTOR_UINT;
      size = 4;
      break;
    default:
      what = "Vector.<Number>";
      type = AMF_TYPE_VECTOR_DOUBLE;
      size = 8;
      break;
  }

  if (!read_header (d, marker, what, at, &u29, &v, error) || v)
    return v;
  count = u29 >> 1;
  if (!need (r, 1, what, at, error))
    return NULL;
  fixed = r->data[r->pos++] != 0;
  if (!check_count (r, count, AMF_MAX_ELEMENTS, size, what, at, error) ||
      !add_object (d, what, at, error) ||
      !amf_reader_charge (r,
          AMF_COST_VALUE + AMF_COST_ARRAY +
              AMF_COST_SLOT ((gsize) count * size),
          error))
    return NULL;

  v = amf_value_alloc (type);
  v->v.vector.fixed = fixed;
  v->v.vector.items = g_array_sized_new (FALSE, FALSE, size, count);
  for (i = 0; i < count; i++) {
    if (size == 4) {
      guint32 u = rtmp_read_u32_be (r->data + r->pos);

      r->pos += 4;
      g_array_append_val (v->v.vector.items, u);
    } else {
      gdouble dbl = take_double (r);

      g_array_append_val (v->v.vector.items, dbl);
    }
  }
  return v;
}

static AmfValue *
read_vector_object (Amf3Decoder *d, gsize at, GError **error)
{
  AmfReader *r = d->r;
  const gchar *what = "Vector.<Object>";
  guint32 u29, count;
  gboolean fixed;
  gchar *type_name;
  AmfValue *v;

  if (!read_header (d, AMF3_VECTOR_OBJECT, what, at, &u29, &v, error) || v)
    return v;
  count = u29 >> 1;
  if (!need (r, 1, what, at, error))
    return NULL;
  fixed = r->data[r->pos++] != 0;
  type_name = read_string (d, "Vector.<Object> type name", at, error);
  if (!type_name)
    return NULL;
  if (!check_count (r, count, AMF_MAX_ELEMENTS, 1, what, at, error) ||
      !enter (d, what, at, error) || !add_object (d, what, at, error) ||
      !(v = new_value (r, AMF_TYPE_VECTOR_OBJECT, error))) {
    g_ref_string_release (type_name);
    return NULL;
  }
  v->v.vector_object.fixed = fixed;
  v->v.vector_object.type_name = type_name;
  if (!read_elements (d, &v->v.vector_object.items, count, error)) {
    amf_value_free (v);
    return NULL;
  }
  r->depth--;
  return v;
}

static AmfValue *
read_dictionary (Amf3Decoder *d, gsize at, GError **error)
{
  AmfReader *r = d->r;
  guint32 u29, count, i;
  gboolean weak;
  AmfValue *v;

  if (!read_header (d, AMF3_DICTIONARY, "Dictionary", at, &u29, &v, error) || v)
    return v;
  count = u29 >> 1;
  if (!need (r, 1, "Dictionary", at, error))
    return NULL;
  weak = r->data[r->pos++] != 0;
  /* a key and a value, a byte each at least */
  if (!check_count (r, count, AMF_MAX_ELEMENTS, 2, "Dictionary", at, error) ||
      !enter (d, "Dictionary", at, error) ||
      !add_object (d, "Dictionary", at, error) ||
      !amf_reader_charge (r,
          AMF_COST_ARRAY + AMF_COST_SLOT ((gsize) count * sizeof (AmfEntry)),
          error) ||
      !(v = new_value (r, AMF_TYPE_DICTIONARY, error)))
    return NULL;
  v->v.dictionary.weak_keys = weak;
  for (i = 0; i < count; i++) {
    AmfValue *key, *value;

    if (!(key = read_value (d, error)))
      goto fail;
    if (!(value = read_value (d, error))) {
      amf_value_free (key);
      goto fail;
    }
    amf_value_append_entry (v, key, value);
  }
  r->depth--;
  return v;

fail:
  amf_value_free (v);
  return NULL;
}

static AmfValue *
read_value (Amf3Decoder *d, GError **error)
{
  AmfReader *r = d->r;
  gsize at = r->pos;
  guint8 marker;
  AmfValue *v = NULL;

  if (!need (r, 1, "value", at, error))
    return NULL;
  marker = r->data[r->pos++];

  switch (marker) {
    case AMF3_UNDEFINED:
      return new_value (r, AMF_TYPE_UNDEFINED, error);
    case AMF3_NULL:
      return new_value (r, AMF_TYPE_NULL, error);
    case AMF3_FALSE:
    case AMF3_TRUE:
      if ((v = new_value (r, AMF_TYPE_BOOLEAN, error)))
        v->v.boolean = marker == AMF3_TRUE;
      return v;
    case AMF3_INTEGER: {
      guint32 u29;

      if (!read_u29 (r, &u29, "integer", at, error) ||
          !(v = new_value (r, AMF_TYPE_INTEGER, error)))
        return NULL;
      /* sign-extend the 29 bits */
      v->v.integer = (gint32) (u29 << 3) >> 3;
      return v;
    }
    case AMF3_DOUBLE:
      if (need (r, 8, "double", at, error) &&
          (v = new_value (r, AMF_TYPE_NUMBER, error)))
        v->v.number = take_double (r);
      return v;
    case AMF3_STRING: {
      gchar *s;

      if (!amf_reader_charge (r, AMF_COST_VALUE, error) ||
          !(s = read_string (d, "string", at, error)))
        return NULL;
      return amf_value_new_take_string (AMF_TYPE_STRING, s);
    }
    case AMF3_XML_DOCUMENT:
    case AMF3_XML:
      return read_text (d, marker, at, error);
    case AMF3_DATE:
      return read_date (d, at, error);
    case AMF3_ARRAY:
      return read_array (d, at, error);
    case AMF3_OBJECT:
      return read_object (d, at, error);
    case AMF3_BYTE_ARRAY:
      return read_byte_array (d, at, error);
    case AMF3_VECTOR_INT:
    case AMF3_VECTOR_UINT:
    case AMF3_VECTOR_DOUBLE:
      return read_vector (d, marker, at, error);
    case AMF3_VECTOR_OBJECT:
      return read_vector_object (d, at, error);
    case AMF3_DICTIONARY:
      return read_dictionary (d, at, error);
    default:
      amf_set_error (error, RTMP_ERROR_UNKNOWN_TYPE,
          "AMF3 value at offset %" G_GSIZE_FORMAT
          ": unknown type marker 0x%02x",
          at, marker);
      return NULL;
  }
}

AmfValue *
amf3_read_switched (AmfReader *r, GError **error)
{
  Amf3Decoder d = { r, NULL, NULL, 0 };
  AmfValue *v;

  d.strings =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_ref_string_release);
  d.traits = g_ptr_array_new_with_free_func (traits_free);
  v = read_value (&d, error);
  g_ptr_array_unref (d.strings);
  g_ptr_array_unref (d.traits);
  return v;
}

AmfValue *
amf3_decode_full (const guint8 *data, gsize size, gsize *offset,
    AmfDecodeLimits *limits, GError **error)
{
  AmfReader r;
  AmfValue *v;
  gsize start = offset ? *offset : 0;

  g_return_val_if_fail (data != NULL || size == 0, NULL);
  g_return_val_if_fail (start <= size, NULL);

  amf_reader_init (&r, data, size, start, limits);
  v = amf3_read_switched (&r, error);
  if (limits)
    limits->allocated = r.used;
  if (v && offset)
    *offset = r.pos;
  return v;
}

AmfValue *
amf3_decode (const guint8 *data, gsize size, gsize *offset, GError **error)
{
  return amf3_decode_full (data, size, offset, NULL, error);
}

GPtrArray *
amf3_decode_sequence (const guint8 *data, gsize size, gsize offset,
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
          "AMF3 sequence: more than %d values at offset %" G_GSIZE_FORMAT,
          AMF_MAX_ELEMENTS, r.pos);
      g_clear_pointer (&values, g_ptr_array_unref);
      break;
    }
    if (!amf_reader_charge (&r, AMF_COST_SLOT (sizeof (gpointer)), error) ||
        !(v = amf3_read_switched (&r, error))) {
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
  GHashTable *strings; /* GBytes into the values -> index + 1 */
  GHashTable *traits; /* GBytes (a key made of the traits) -> index + 1 */
  guint n_objects;
} Amf3Encoder;

static void
put_u8 (GByteArray *out, guint8 v)
{
  g_byte_array_append (out, &v, 1);
}

static void
put_u29 (GByteArray *out, guint32 v)
{
  guint8 b[4];
  guint n;

  g_assert (v <= U29_MAX);
  if (v < 0x80) {
    b[0] = v;
    n = 1;
  } else if (v < 0x4000) {
    b[0] = 0x80 | (v >> 7);
    b[1] = v & 0x7f;
    n = 2;
  } else if (v < 0x200000) {
    b[0] = 0x80 | (v >> 14);
    b[1] = 0x80 | ((v >> 7) & 0x7f);
    b[2] = v & 0x7f;
    n = 3;
  } else {
    b[0] = 0x80 | (v >> 22);
    b[1] = 0x80 | ((v >> 15) & 0x7f);
    b[2] = 0x80 | ((v >> 8) & 0x7f);
    b[3] = v & 0xff;
    n = 4;
  }
  g_byte_array_append (out, b, n);
}

static void
put_double (GByteArray *out, gdouble d)
{
  guint64 bits;
  guint8 b[8];

  memcpy (&bits, &d, sizeof (bits));
  rtmp_write_u32_be (b, bits >> 32);
  rtmp_write_u32_be (b + 4, bits & 0xffffffff);
  g_byte_array_append (out, b, 8);
}

static gboolean
check_len (gsize len, const gchar *what, GError **error)
{
  if (len <= U29_LEN_MAX)
    return TRUE;
  amf_set_error (error, RTMP_ERROR_TOO_LARGE,
      "AMF3 %s: %" G_GSIZE_FORMAT " exceeds the %u a U29 header can hold", what,
      len, U29_LEN_MAX);
  return FALSE;
}

/* A UTF-8-vr: by reference when the same string was written before. */
static gboolean
put_string (Amf3Encoder *e, const gchar *s, gsize len, GError **error)
{
  GBytes *key;
  guint index;

  if (len == 0) {
    put_u8 (e->out, 0x01);
    return TRUE;
  }
  key = g_bytes_new_static (s, len);
  index = GPOINTER_TO_UINT (g_hash_table_lookup (e->strings, key));
  if (index) {
    g_bytes_unref (key);
    put_u29 (e->out, (index - 1) << 1);
    return TRUE;
  }
  if (!check_len (len, "string length", error)) {
    g_bytes_unref (key);
    return FALSE;
  }
  put_u29 (e->out, (len << 1) | 1);
  g_byte_array_append (e->out, (const guint8 *) s, len);
  g_hash_table_insert (
      e->strings, key, GUINT_TO_POINTER (g_hash_table_size (e->strings) + 1));
  return TRUE;
}

static gboolean
put_refstring (Amf3Encoder *e, const gchar *s, GError **error)
{
  return put_string (e, s, g_ref_string_length ((gchar *) s), error);
}

static gboolean
put_dynamic_name (
    Amf3Encoder *e, const gchar *name, const gchar *what, GError **error)
{
  if (g_ref_string_length ((gchar *) name) == 0) {
    amf_set_error (error, RTMP_ERROR_INVALID,
        "AMF3 %s: an empty member name cannot be written (it would read as "
        "the end of the members)",
        what);
    return FALSE;
  }
  return put_refstring (e, name, error);
}

static gboolean write_value (
    Amf3Encoder *e, const AmfValue *v, guint depth, GError **error);

static gboolean
enter_write (Amf3Encoder *e, const AmfValue *v, guint depth, GError **error)
{
  if (depth >= AMF_MAX_DEPTH) {
    amf_set_error (error, RTMP_ERROR_TOO_DEEP,
        "AMF3 %s: nested deeper than %d levels", amf_type_name (v->type),
        AMF_MAX_DEPTH);
    return FALSE;
  }
  e->n_objects++;
  return TRUE;
}

static gboolean
write_elements (Amf3Encoder *e, GPtrArray *a, guint depth, GError **error)
{
  guint i;

  for (i = 0; a && i < a->len; i++) {
    if (!write_value (e, g_ptr_array_index (a, i), depth + 1, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
write_array (Amf3Encoder *e, const AmfValue *v, guint depth, GError **error)
{
  GPtrArray *dense = v->v.array.dense;
  guint n_dense = dense ? dense->len : 0, n, i;
  AmfProperty *props = amf_value_peek_properties (v, &n);

  if (!check_len (n_dense, "array count", error) ||
      !enter_write (e, v, depth, error))
    return FALSE;
  put_u8 (e->out, AMF3_ARRAY);
  put_u29 (e->out, (n_dense << 1) | 1);
  for (i = 0; i < n; i++) {
    if (!put_dynamic_name (e, props[i].name, "array", error) ||
        !write_value (e, props[i].value, depth + 1, error))
      return FALSE;
  }
  put_u8 (e->out, 0x01);
  return write_elements (e, dense, depth, error);
}

static GBytes *
traits_key (const gchar *class_name, gsize class_len, gboolean dynamic,
    AmfProperty *props, guint n_sealed)
{
  GByteArray *k = g_byte_array_new ();
  guint8 b[4];
  guint i;

  rtmp_write_u32_be (b, class_len);
  g_byte_array_append (k, b, 4);
  g_byte_array_append (k, (const guint8 *) class_name, class_len);
  b[0] = dynamic;
  g_byte_array_append (k, b, 1);
  for (i = 0; i < n_sealed; i++) {
    gsize len = g_ref_string_length (props[i].name);

    rtmp_write_u32_be (b, len);
    g_byte_array_append (k, b, 4);
    g_byte_array_append (k, (const guint8 *) props[i].name, len);
  }
  return g_byte_array_free_to_bytes (k);
}

static gboolean
write_object (Amf3Encoder *e, const AmfValue *v, guint depth, GError **error)
{
  const gchar *class_name =
      v->v.object.class_name ? v->v.object.class_name : "";
  gsize class_len =
      v->v.object.class_name ? g_ref_string_length (v->v.object.class_name) : 0;
  guint n, sealed = amf_value_get_sealed_count (v), i, index;
  gboolean dynamic = amf_value_get_dynamic (v);
  AmfProperty *props = amf_value_peek_properties (v, &n);
  GBytes *key;

  if (sealed > (U29_MAX >> 4)) {
    amf_set_error (error, RTMP_ERROR_TOO_LARGE,
        "AMF3 object: %u sealed members exceed the %u a traits header "
        "can hold",
        sealed, U29_MAX >> 4);
    return FALSE;
  }
  if (!enter_write (e, v, depth, error))
    return FALSE;
  put_u8 (e->out, AMF3_OBJECT);

  key = traits_key (class_name, class_len, dynamic, props, sealed);
  index = GPOINTER_TO_UINT (g_hash_table_lookup (e->traits, key));
  if (index) {
    g_bytes_unref (key);
    put_u29 (e->out, ((index - 1) << 2) | 1);
  } else {
    g_hash_table_insert (
        e->traits, key, GUINT_TO_POINTER (g_hash_table_size (e->traits) + 1));
    put_u29 (e->out, (sealed << 4) | (dynamic ? 0x08 : 0) | 0x03);
    if (!put_string (e, class_name, class_len, error))
      return FALSE;
    for (i = 0; i < sealed; i++) {
      if (!put_refstring (e, props[i].name, error))
        return FALSE;
    }
  }

  for (i = 0; i < sealed; i++) {
    if (!write_value (e, props[i].value, depth + 1, error))
      return FALSE;
  }
  if (dynamic) {
    for (i = sealed; i < n; i++) {
      if (!put_dynamic_name (e, props[i].name, "object", error) ||
          !write_value (e, props[i].value, depth + 1, error))
        return FALSE;
    }
    put_u8 (e->out, 0x01);
  }
  return TRUE;
}

static gboolean
write_text (
    Amf3Encoder *e, guint8 marker, const gchar *s, gsize len, GError **error)
{
  if (!check_len (len, "length", error))
    return FALSE;
  e->n_objects++;
  put_u8 (e->out, marker);
  put_u29 (e->out, (len << 1) | 1);
  g_byte_array_append (e->out, (const guint8 *) s, len);
  return TRUE;
}

static gboolean
write_vector (Amf3Encoder *e, const AmfValue *v, GError **error)
{
  GArray *items = v->v.vector.items;
  guint i;

  if (!check_len (items->len, "vector count", error))
    return FALSE;
  e->n_objects++;
  put_u8 (e->out,
      v->type == AMF_TYPE_VECTOR_INT      ? AMF3_VECTOR_INT :
          v->type == AMF_TYPE_VECTOR_UINT ? AMF3_VECTOR_UINT :
                                            AMF3_VECTOR_DOUBLE);
  put_u29 (e->out, (items->len << 1) | 1);
  put_u8 (e->out, v->v.vector.fixed ? 1 : 0);
  for (i = 0; i < items->len; i++) {
    if (v->type == AMF_TYPE_VECTOR_DOUBLE) {
      put_double (e->out, g_array_index (items, gdouble, i));
    } else {
      guint8 b[4];

      rtmp_write_u32_be (b, g_array_index (items, guint32, i));
      g_byte_array_append (e->out, b, 4);
    }
  }
  return TRUE;
}

static gboolean
is_object_marker (guint8 marker)
{
  return marker >= AMF3_XML_DOCUMENT && marker <= AMF3_DICTIONARY &&
      marker != AMF3_STRING;
}

static gboolean
write_value (Amf3Encoder *e, const AmfValue *v, guint depth, GError **error)
{
  GByteArray *out = e->out;

  switch (v->type) {
    case AMF_TYPE_UNDEFINED:
    case AMF_TYPE_UNSUPPORTED:
      put_u8 (out, AMF3_UNDEFINED);
      return TRUE;
    case AMF_TYPE_NULL:
      put_u8 (out, AMF3_NULL);
      return TRUE;
    case AMF_TYPE_BOOLEAN:
      put_u8 (out, v->v.boolean ? AMF3_TRUE : AMF3_FALSE);
      return TRUE;
    case AMF_TYPE_INTEGER:
      if (v->v.integer >= AMF3_INTEGER_MIN &&
          v->v.integer <= AMF3_INTEGER_MAX) {
        put_u8 (out, AMF3_INTEGER);
        put_u29 (out, (guint32) v->v.integer & U29_MAX);
      } else {
        put_u8 (out, AMF3_DOUBLE);
        put_double (out, v->v.integer);
      }
      return TRUE;
    case AMF_TYPE_NUMBER:
      put_u8 (out, AMF3_DOUBLE);
      put_double (out, v->v.number);
      return TRUE;
    case AMF_TYPE_STRING:
      put_u8 (out, AMF3_STRING);
      return put_refstring (e, v->v.string, error);
    case AMF_TYPE_XML_DOCUMENT:
    case AMF_TYPE_XML:
      return write_text (e,
          v->type == AMF_TYPE_XML ? AMF3_XML : AMF3_XML_DOCUMENT, v->v.string,
          g_ref_string_length (v->v.string), error);
    case AMF_TYPE_BYTE_ARRAY: {
      gsize len;
      gconstpointer data = g_bytes_get_data (v->v.bytes, &len);

      return write_text (e, AMF3_BYTE_ARRAY, data, len, error);
    }
    case AMF_TYPE_DATE:
      e->n_objects++;
      put_u8 (out, AMF3_DATE);
      put_u8 (out, 0x01);
      put_double (out, v->v.date.ms);
      return TRUE;
    case AMF_TYPE_OBJECT:
      return write_object (e, v, depth, error);
    case AMF_TYPE_ECMA_ARRAY:
    case AMF_TYPE_STRICT_ARRAY:
    case AMF_TYPE_ARRAY:
      return write_array (e, v, depth, error);
    case AMF_TYPE_VECTOR_INT:
    case AMF_TYPE_VECTOR_UINT:
    case AMF_TYPE_VECTOR_DOUBLE:
      return write_vector (e, v, error);
    case AMF_TYPE_VECTOR_OBJECT: {
      GPtrArray *items = v->v.vector_object.items;
      guint n = items ? items->len : 0;

      if (!check_len (n, "vector count", error) ||
          !enter_write (e, v, depth, error))
        return FALSE;
      put_u8 (out, AMF3_VECTOR_OBJECT);
      put_u29 (out, (n << 1) | 1);
      put_u8 (out, v->v.vector_object.fixed ? 1 : 0);
      return put_refstring (e, v->v.vector_object.type_name, error) &&
          write_elements (e, items, depth, error);
    }
    case AMF_TYPE_DICTIONARY: {
      guint n = amf_value_get_n_entries (v), i;

      if (!check_len (n, "Dictionary count", error) ||
          !enter_write (e, v, depth, error))
        return FALSE;
      put_u8 (out, AMF3_DICTIONARY);
      put_u29 (out, (n << 1) | 1);
      put_u8 (out, v->v.dictionary.weak_keys ? 1 : 0);
      for (i = 0; i < n; i++) {
        if (!write_value (
                e, amf_value_get_entry_key (v, i), depth + 1, error) ||
            !write_value (
                e, amf_value_get_entry_value (v, i), depth + 1, error))
          return FALSE;
      }
      return TRUE;
    }
    case AMF_TYPE_REFERENCE: {
      guint8 marker = v->v.reference.amf3_marker;

      if (v->v.reference.index >= e->n_objects) {
        amf_set_error (error, RTMP_ERROR_BAD_REFERENCE,
            "AMF3 reference: index %u but only %u objects were written "
            "before it",
            v->v.reference.index, e->n_objects);
        return FALSE;
      }
      put_u8 (out, is_object_marker (marker) ? marker : AMF3_OBJECT);
      put_u29 (out, v->v.reference.index << 1);
      return TRUE;
    }
    case AMF_TYPE_AVMPLUS:
      /* already AMF3 here */
      return write_value (e, v->v.inner, depth, error);
  }
  amf_set_error (
      error, RTMP_ERROR_INVALID, "AMF3: invalid value type %d", v->type);
  return FALSE;
}

gboolean
amf3_write_switched (
    const AmfValue *value, GByteArray *out, guint depth, GError **error)
{
  Amf3Encoder e = { out, NULL, NULL, 0 };
  gboolean ok;

  e.strings = g_hash_table_new_full (
      g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref, NULL);
  e.traits = g_hash_table_new_full (
      g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref, NULL);
  ok = write_value (&e, value, depth, error);
  g_hash_table_unref (e.strings);
  g_hash_table_unref (e.traits);
  return ok;
}

gboolean
amf3_encode_sequence (const AmfValue *const *values, guint n_values,
    GByteArray *out, GError **error)
{
  guint start, i;

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (values != NULL || n_values == 0, FALSE);

  amf_debug_init ();
  start = out->len;
  for (i = 0; i < n_values; i++) {
    g_return_val_if_fail (values[i] != NULL, FALSE);
    if (!amf3_write_switched (values[i], out, 0, error)) {
      g_byte_array_set_size (out, start);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
amf3_encode (const AmfValue *value, GByteArray *out, GError **error)
{
  g_return_val_if_fail (value != NULL, FALSE);
  return amf3_encode_sequence (&value, 1, out, error);
}
