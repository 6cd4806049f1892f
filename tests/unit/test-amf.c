/* gst-rtmpe: AMF0 and AMF3 codec tests
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The byte vectors are written by hand from the AMF0 and AMF3
 * specifications (markers, U16/U32/U29 lengths, reference encodings), and
 * real ones come from traffic recorded with nginx-rtmp, ffmpeg, GStreamer
 * and librtmp (tests/data/rtmp-session-messages.txt).
 */
#include <malloc.h>
#include <math.h>
#include <string.h>

#include <gst/gst.h>

#include "amf.h"
#include "rtmperror.h"
#include "rtmplimits.h"
#include "testutil.h"

typedef enum
{
  AMF0,
  AMF3,
} Format;

static AmfValue *
decode (
    Format f, GBytes *b, gsize *offset, AmfDecodeLimits *limits, GError **error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (b, &size);

  if (f == AMF0)
    return amf0_decode_full (data, size, offset, limits, error);
  return amf3_decode_full (data, size, offset, limits, error);
}

static GByteArray *
encode (Format f, const AmfValue *v, GError **error)
{
  GByteArray *out = g_byte_array_new ();
  gboolean ok =
      f == AMF0 ? amf0_encode (v, out, error) : amf3_encode (v, out, error);

  if (!ok)
    g_clear_pointer (&out, g_byte_array_unref);
  return out;
}

/* Decoding @hex gives a value equal to @expected, using every byte, and
 * encoding that value (and @expected) gives @hex back. */
static void
check_both_ways (Format f, const gchar *hex, AmfValue *expected)
{
  GBytes *b = hex_bytes (hex);
  GError *error = NULL;
  gsize offset = 0;
  AmfValue *v = decode (f, b, &offset, NULL, &error);
  GByteArray *out;

  g_assert_no_error (error);
  g_assert_nonnull (v);
  g_assert_cmpuint (offset, ==, g_bytes_get_size (b));
  if (!amf_value_equal (v, expected)) {
    gchar *s1 = amf_value_to_string (v), *s2 = amf_value_to_string (expected);

    g_error ("decoded %s\n  got      %s\n  expected %s", hex, s1, s2);
  }

  out = encode (f, v, &error);
  g_assert_no_error (error);
  assert_bytes_equal (out->data, out->len, b);
  g_byte_array_unref (out);

  out = encode (f, expected, &error);
  g_assert_no_error (error);
  assert_bytes_equal (out->data, out->len, b);
  g_byte_array_unref (out);

  amf_value_free (v);
  amf_value_free (expected);
  g_bytes_unref (b);
}

static void
check_error (Format f, const gchar *hex, RtmpError code)
{
  GBytes *b = hex_bytes (hex);
  GError *error = NULL;
  gsize offset = 0;
  AmfValue *v = decode (f, b, &offset, NULL, &error);

  if (v) {
    gchar *s = amf_value_to_string (v);

    g_error ("%s decoded to %s, expected error %d", hex, s, code);
  }
  g_assert_error (error, RTMP_ERROR, (gint) code);
  g_assert_cmpuint (offset, ==, 0);
  /* the message says where */
  g_assert_nonnull (strstr (error->message, "offset"));
  g_test_message ("%s -> %s", hex, error->message);
  g_error_free (error);
  g_bytes_unref (b);
}

static AmfValue *
obj1 (const gchar *name, AmfValue *member)
{
  AmfValue *o = amf_value_new_object ();

  amf_value_set_property (o, name, member);
  return o;
}

/* ---- AMF0 ---- */

static void
test_amf0_scalars (void)
{
  check_both_ways (AMF0, "00 3ff0000000000000", amf_value_new_number (1.0));
  check_both_ways (AMF0, "00 c00c000000000000", amf_value_new_number (-3.5));
  check_both_ways (AMF0, "00 0000000000000000", amf_value_new_number (0.0));
  check_both_ways (AMF0, "00 8000000000000000", amf_value_new_number (-0.0));
  check_both_ways (
      AMF0, "00 7ff0000000000000", amf_value_new_number (INFINITY));
  check_both_ways (AMF0, "00 7ff8000000000000", amf_value_new_number (NAN));
  check_both_ways (AMF0, "01 01", amf_value_new_boolean (TRUE));
  check_both_ways (AMF0, "01 00", amf_value_new_boolean (FALSE));
  check_both_ways (AMF0, "02 0005 68656c6c6f", amf_value_new_string ("hello"));
  check_both_ways (AMF0, "02 0000", amf_value_new_string (""));
  /* UTF-8 and an embedded NUL */
  check_both_ways (
      AMF0, "02 0004 c3a90062", amf_value_new_string_len ("\xc3\xa9\0b", 4));
  check_both_ways (AMF0, "05", amf_value_new_null ());
  check_both_ways (AMF0, "06", amf_value_new_undefined ());
  check_both_ways (AMF0, "0d", amf_value_new_unsupported ());
  /* 2001-09-09T01:46:40Z, time zone 0 and -60 */
  check_both_ways (
      AMF0, "0b 426d1a94a2000000 0000", amf_value_new_date (1e12, 0));
  check_both_ways (
      AMF0, "0b 426d1a94a2000000 ffc4", amf_value_new_date (1e12, -60));
  check_both_ways (AMF0, "0f 00000008 3c613e623c2f613e",
      amf_value_new_xml_document ("<a>b</a>", 8));
  /* an AMF3 integer behind the AVM+ switch */
  check_both_ways (
      AMF0, "11 04 05", amf_value_new_avmplus (amf_value_new_integer (5)));
}

static void
test_amf0_long_string (void)
{
  /* a string of 70000 bytes needs the long string marker; one of 65535 does
   * not */
  gsize lens[] = { 65535, 65536, 70000 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (lens); i++) {
    gsize len = lens[i];
    gchar *s = g_malloc (len + 1);
    GByteArray *expected = g_byte_array_new ();
    GError *error = NULL;
    GBytes *b;
    gsize offset = 0;
    AmfValue *v, *d;
    GByteArray *out;
    guint8 hdr[5];

    memset (s, 'x', len);
    s[len] = 0;
    if (len > 65535) {
      hdr[0] = 0x0c;
      hdr[1] = len >> 24;
      hdr[2] = len >> 16;
      hdr[3] = len >> 8;
      hdr[4] = len;
      g_byte_array_append (expected, hdr, 5);
    } else {
      hdr[0] = 0x02;
      hdr[1] = len >> 8;
      hdr[2] = len;
      g_byte_array_append (expected, hdr, 3);
    }
    g_byte_array_append (expected, (guint8 *) s, len);
    b = g_byte_array_free_to_bytes (expected);

    v = amf_value_new_string (s);
    out = encode (AMF0, v, &error);
    g_assert_no_error (error);
    assert_bytes_equal (out->data, out->len, b);
    d = decode (AMF0, b, &offset, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (amf_value_equal (d, v));
    g_assert_cmpuint (offset, ==, g_bytes_get_size (b));

    amf_value_free (v);
    amf_value_free (d);
    g_byte_array_unref (out);
    g_bytes_unref (b);
    g_free (s);
  }

  /* a short long string decodes to the same string, and is written back
   * canonically */
  {
    GBytes *b = hex_bytes ("0c 00000002 6869");
    GError *error = NULL;
    AmfValue *v = decode (AMF0, b, NULL, NULL, &error);
    GByteArray *out;
    GBytes *canon = hex_bytes ("02 0002 6869");

    g_assert_no_error (error);
    g_assert_cmpstr (amf_value_get_string (v), ==, "hi");
    out = encode (AMF0, v, &error);
    assert_bytes_equal (out->data, out->len, canon);
    g_byte_array_unref (out);
    g_bytes_unref (canon);
    g_bytes_unref (b);
    amf_value_free (v);
  }
}

static void
test_amf0_containers (void)
{
  AmfValue *v, *e;

  /* {a: 1} */
  check_both_ways (AMF0, "03 0001 61 00 3ff0000000000000 0000 09",
      obj1 ("a", amf_value_new_number (1.0)));
  check_both_ways (AMF0, "03 0000 09", amf_value_new_object ());

  /* typed object Foo {x: null} */
  v = amf_value_new_typed_object ("Foo");
  amf_value_set_property (v, "x", amf_value_new_null ());
  check_both_ways (AMF0, "10 0003 466f6f 0001 78 05 0000 09", v);
  /* an empty class name is still a typed object */
  check_both_ways (AMF0, "10 0000 0000 09", amf_value_new_typed_object (""));

  /* ECMA array {a: null} with its count */
  v = amf_value_new_ecma_array ();
  amf_value_set_property (v, "a", amf_value_new_null ());
  check_both_ways (AMF0, "08 00000001 0001 61 05 0000 09", v);
  /* a count that disagrees with the members is kept as it came */
  v = amf_value_new_ecma_array ();
  amf_value_set_property (v, "a", amf_value_new_null ());
  amf_value_set_ecma_count (v, 0);
  check_both_ways (AMF0, "08 00000000 0001 61 05 0000 09", v);

  /* strict array ["x", 2] */
  v = amf_value_new_strict_array ();
  amf_value_append_element (v, amf_value_new_string ("x"));
  amf_value_append_element (v, amf_value_new_number (2));
  check_both_ways (AMF0, "0a 00000002 02 0001 78 00 4000000000000000", v);
  check_both_ways (AMF0, "0a 00000000", amf_value_new_strict_array ());

  /* references: [{}, ref 1, ref 0]: the array is complex value 0, the
   * object 1 */
  v = amf_value_new_strict_array ();
  amf_value_append_element (v, amf_value_new_object ());
  amf_value_append_element (v, amf_value_new_reference (1));
  amf_value_append_element (v, amf_value_new_reference (0));
  check_both_ways (AMF0, "0a 00000003 03 0000 09 07 0001 07 0000", v);

  /* nested, with an AMF3 value inside an AMF0 object */
  v = amf_value_new_object ();
  e = amf_value_new_ecma_array ();
  amf_value_set_property (e, "n", amf_value_new_boolean (TRUE));
  amf_value_set_property (v, "e", e);
  amf_value_set_property (
      v, "i", amf_value_new_avmplus (amf_value_new_integer (-1)));
  check_both_ways (AMF0,
      "03 0001 65 08 00000001 0001 6e 01 01 0000 09"
      "   0001 69 11 04 ffffffff 0000 09",
      v);
}

static void
test_amf0_amf3_only_types (void)
{
  /* values that AMF0 cannot hold are switched to AMF3 by the encoder */
  AmfValue *v = amf_value_new_byte_array ((const guint8 *) "\1\2\3", 3);
  GError *error = NULL;
  GByteArray *out = encode (AMF0, v, &error);
  GBytes *expected = hex_bytes ("11 0c 07 010203");

  g_assert_no_error (error);
  assert_bytes_equal (out->data, out->len, expected);
  g_byte_array_unref (out);
  g_bytes_unref (expected);
  amf_value_free (v);

  /* an AMF3 integer is an AMF0 number */
  v = amf_value_new_integer (7);
  out = encode (AMF0, v, &error);
  expected = hex_bytes ("00 401c000000000000");
  assert_bytes_equal (out->data, out->len, expected);
  g_byte_array_unref (out);
  g_bytes_unref (expected);
  amf_value_free (v);
}

static void
test_amf0_errors (void)
{
  check_error (AMF0, "04", RTMP_ERROR_UNSUPPORTED); /* movieclip */
  check_error (AMF0, "0e", RTMP_ERROR_UNSUPPORTED); /* recordset */
  check_error (AMF0, "12", RTMP_ERROR_UNKNOWN_TYPE);
  check_error (AMF0, "ff", RTMP_ERROR_UNKNOWN_TYPE);
  check_error (AMF0, "03 0001 61 12", RTMP_ERROR_UNKNOWN_TYPE);
  check_error (AMF0, "09", RTMP_ERROR_INVALID);
  /* an empty name must be followed by the end marker */
  check_error (AMF0, "03 0000 05", RTMP_ERROR_INVALID);
  /* references: nothing before, an index past the table */
  check_error (AMF0, "07 0000", RTMP_ERROR_BAD_REFERENCE);
  check_error (
      AMF0, "0a 00000002 03 0000 09 07 0002", RTMP_ERROR_BAD_REFERENCE);
  /* the AMF3 tables start empty after each switch */
  check_error (
      AMF0, "0a 00000002 11 06 0361 11 06 00", RTMP_ERROR_BAD_REFERENCE);
  /* oversized lengths and counts */
  check_error (AMF0, "0c ffffffff 41", RTMP_ERROR_TOO_LARGE);
  check_error (AMF0, "0f 01000001", RTMP_ERROR_TOO_LARGE);
  check_error (AMF0, "0a 7fffffff 05", RTMP_ERROR_TOO_LARGE);
  check_error (AMF0, "0a 00100001", RTMP_ERROR_TOO_LARGE);
  /* counts and lengths past the end of the input */
  check_error (AMF0, "0a 000f4240 05 05 05 05 05", RTMP_ERROR_TRUNCATED);
  check_error (AMF0, "02 ffff 41", RTMP_ERROR_TRUNCATED);
  check_error (AMF0, "0c 00010000 41", RTMP_ERROR_TRUNCATED);
  check_error (AMF0, "", RTMP_ERROR_TRUNCATED);
}

/* ---- AMF3 ---- */

static void
check_int (const gchar *hex, gint32 value)
{
  check_both_ways (AMF3, hex, amf_value_new_integer (value));
}

static void
test_amf3_scalars (void)
{
  check_both_ways (AMF3, "00", amf_value_new_undefined ());
  check_both_ways (AMF3, "01", amf_value_new_null ());
  check_both_ways (AMF3, "02", amf_value_new_boolean (FALSE));
  check_both_ways (AMF3, "03", amf_value_new_boolean (TRUE));

  /* U29 in 1, 2, 3 and 4 bytes, at each boundary, and negative values */
  check_int ("04 00", 0);
  check_int ("04 7f", 127);
  check_int ("04 8100", 128);
  check_int ("04 ff7f", 16383);
  check_int ("04 818000", 16384);
  check_int ("04 ffff7f", 2097151);
  check_int ("04 80c08000", 2097152);
  check_int ("04 bfffffff", AMF3_INTEGER_MAX);
  check_int ("04 c0808000", AMF3_INTEGER_MIN);
  check_int ("04 ffffffff", -1);
  check_int ("04 ffffff80", -128);

  check_both_ways (AMF3, "05 3ff0000000000000", amf_value_new_number (1.0));
  check_both_ways (AMF3, "05 c00c000000000000", amf_value_new_number (-3.5));

  check_both_ways (AMF3, "06 0b 68656c6c6f", amf_value_new_string ("hello"));
  check_both_ways (AMF3, "06 01", amf_value_new_string (""));
  check_both_ways (AMF3, "07 07 616263", amf_value_new_xml_document ("abc", 3));
  check_both_ways (AMF3, "0b 07 616263", amf_value_new_xml ("abc", 3));
  check_both_ways (
      AMF3, "08 01 426d1a94a2000000", amf_value_new_date (1e12, 0));
  check_both_ways (AMF3, "0c 07 010203",
      amf_value_new_byte_array ((const guint8 *) "\1\2\3", 3));
  check_both_ways (AMF3, "0c 01", amf_value_new_byte_array (NULL, 0));
}

static void
test_amf3_integer_range (void)
{
  /* outside 29 bits, an integer is written as a double */
  GError *error = NULL;
  AmfValue *v = amf_value_new_integer (AMF3_INTEGER_MAX + 1);
  GByteArray *out = encode (AMF3, v, &error);
  GBytes *expected = hex_bytes ("05 41b0000000000000");

  assert_bytes_equal (out->data, out->len, expected);
  g_byte_array_unref (out);
  g_bytes_unref (expected);
  amf_value_free (v);

  v = amf_value_new_integer (AMF3_INTEGER_MIN - 1);
  out = encode (AMF3, v, &error);
  expected = hex_bytes ("05 c1b0000001000000");
  assert_bytes_equal (out->data, out->len, expected);
  g_byte_array_unref (out);
  g_bytes_unref (expected);
  amf_value_free (v);

  /* a non-canonical (padded) U29 decodes to the same value */
  {
    GBytes *b = hex_bytes ("04 8000");
    AmfValue *d = decode (AMF3, b, NULL, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (amf_value_get_integer (d), ==, 0);
    amf_value_free (d);
    g_bytes_unref (b);
  }
}

static void
test_amf3_containers (void)
{
  AmfValue *v, *o;
  gint32 ints[] = { 1, -1 };
  guint32 uints[] = { G_MAXUINT32 };
  gdouble dbls[] = { 1.0 };

  /* array: dense [2], associative {a: 1} */
  v = amf_value_new_array ();
  amf_value_set_property (v, "a", amf_value_new_integer (1));
  amf_value_append_element (v, amf_value_new_integer (2));
  check_both_ways (AMF3, "09 03 0361 0401 01 0402", v);
  check_both_ways (AMF3, "09 01 01", amf_value_new_array ());

  /* a string by value, then by reference */
  v = amf_value_new_array ();
  amf_value_append_element (v, amf_value_new_string ("ab"));
  amf_value_append_element (v, amf_value_new_string ("ab"));
  check_both_ways (AMF3, "09 05 01 06 056162 06 00", v);

  /* anonymous dynamic object {a: 1} */
  check_both_ways (
      AMF3, "0a 0b 01 0361 0401 01", obj1 ("a", amf_value_new_integer (1)));
  check_both_ways (AMF3, "0a 0b 01 01", amf_value_new_object ());

  /* typed, sealed: Foo {x: 5} */
  v = amf_value_new_typed_object ("Foo");
  amf_value_set_property (v, "x", amf_value_new_integer (5));
  amf_value_set_traits (v, 1, FALSE);
  check_both_ways (AMF3, "0a 13 07466f6f 0378 0405", v);

  /* sealed and dynamic members: Foo {x: 5; y: true} */
  v = amf_value_new_typed_object ("Foo");
  amf_value_set_property (v, "x", amf_value_new_integer (5));
  amf_value_set_property (v, "y", amf_value_new_boolean (TRUE));
  amf_value_set_traits (v, 1, TRUE);
  check_both_ways (AMF3, "0a 1b 07466f6f 0378 0405 0379 03 01", v);

  /* traits, string and object references: [{a: 1}, {a: 2}, ref 1] */
  v = amf_value_new_array ();
  amf_value_append_element (v, obj1 ("a", amf_value_new_integer (1)));
  amf_value_append_element (v, obj1 ("a", amf_value_new_integer (2)));
  o = amf_value_new_reference (1);
  amf_value_append_element (v, o);
  check_both_ways (
      AMF3, "09 07 01 0a 0b 01 0361 0401 01 0a 01 00 0402 01 0a 02", v);

  /* a reference to a date keeps its marker */
  {
    GBytes *b = hex_bytes ("09 05 01 08 01 0000000000000000 08 02");
    GError *error = NULL;
    AmfValue *d = decode (AMF3, b, NULL, NULL, &error);
    GByteArray *out;

    g_assert_no_error (error);
    g_assert_cmpint (amf_value_get_type (amf_value_get_element (d, 1)), ==,
        AMF_TYPE_REFERENCE);
    g_assert_cmpuint (
        amf_value_get_reference (amf_value_get_element (d, 1)), ==, 1);
    out = encode (AMF3, d, &error);
    assert_bytes_equal (out->data, out->len, b);
    g_byte_array_unref (out);
    amf_value_free (d);
    g_bytes_unref (b);
  }

  /* vectors */
  check_both_ways (AMF3, "0d 05 00 00000001 ffffffff",
      amf_value_new_vector_int (ints, 2, FALSE));
  check_both_ways (
      AMF3, "0e 03 01 ffffffff", amf_value_new_vector_uint (uints, 1, TRUE));
  check_both_ways (AMF3, "0f 03 00 3ff0000000000000",
      amf_value_new_vector_double (dbls, 1, FALSE));
  check_both_ways (AMF3, "0d 01 00", amf_value_new_vector_int (NULL, 0, FALSE));
  v = amf_value_new_vector_object ("Foo", FALSE);
  amf_value_append_element (v, amf_value_new_string ("a"));
  amf_value_append_element (v, amf_value_new_null ());
  check_both_ways (AMF3, "10 05 00 07466f6f 06 0361 01", v);
  /* the type name is in the string table */
  v = amf_value_new_vector_object ("a", TRUE);
  amf_value_append_element (v, amf_value_new_string ("a"));
  check_both_ways (AMF3, "10 03 01 0361 06 00", v);

  /* dictionary {"k" => 1, 2 => null} */
  v = amf_value_new_dictionary (FALSE);
  amf_value_append_entry (
      v, amf_value_new_string ("k"), amf_value_new_integer (1));
  amf_value_append_entry (v, amf_value_new_integer (2), amf_value_new_null ());
  check_both_ways (AMF3, "11 05 00 06036b 0401 0402 01", v);
  check_both_ways (AMF3, "11 01 01", amf_value_new_dictionary (TRUE));
}

static void
test_amf3_mapped_types (void)
{
  /* AMF0-only types are written as their AMF3 kin */
  AmfValue *v = amf_value_new_ecma_array ();
  GError *error = NULL;
  GByteArray *out;
  GBytes *expected;

  amf_value_set_property (v, "a", amf_value_new_null ());
  out = encode (AMF3, v, &error);
  g_assert_no_error (error);
  expected = hex_bytes ("09 01 0361 01 01");
  assert_bytes_equal (out->data, out->len, expected);
  g_byte_array_unref (out);
  g_bytes_unref (expected);
  amf_value_free (v);

  v = amf_value_new_strict_array ();
  amf_value_append_element (v, amf_value_new_unsupported ());
  amf_value_append_element (v, amf_value_new_avmplus (amf_value_new_null ()));
  out = encode (AMF3, v, &error);
  expected = hex_bytes ("09 05 01 00 01");
  assert_bytes_equal (out->data, out->len, expected);
  g_byte_array_unref (out);
  g_bytes_unref (expected);
  amf_value_free (v);
}

static void
test_amf3_errors (void)
{
  check_error (AMF3, "12", RTMP_ERROR_UNKNOWN_TYPE);
  check_error (AMF3, "ff", RTMP_ERROR_UNKNOWN_TYPE);
  check_error (AMF3, "09 03 01 20", RTMP_ERROR_UNKNOWN_TYPE);
  /* externalizable: flex.messaging.io.ArrayCollection */
  check_error (AMF3,
      "0a 07 43 666c65782e6d6573736167696e672e696f2e4172726179436f6c6c656374"
      "696f6e 09 01 01",
      RTMP_ERROR_UNSUPPORTED);
  /* references to empty tables, and past the end of them */
  check_error (AMF3, "06 00", RTMP_ERROR_BAD_REFERENCE);
  check_error (AMF3, "06 02", RTMP_ERROR_BAD_REFERENCE);
  check_error (AMF3, "0a 00", RTMP_ERROR_BAD_REFERENCE);
  check_error (AMF3, "0a 01", RTMP_ERROR_BAD_REFERENCE); /* traits */
  check_error (AMF3, "09 05 01 0a 0b 01 01 0a 05", RTMP_ERROR_BAD_REFERENCE);
  check_error (AMF3, "09 03 01 09 04", RTMP_ERROR_BAD_REFERENCE);
  check_error (AMF3, "08 00", RTMP_ERROR_BAD_REFERENCE);
  check_error (AMF3, "0c 02", RTMP_ERROR_BAD_REFERENCE);
  check_error (AMF3, "07 00", RTMP_ERROR_BAD_REFERENCE);
  check_error (AMF3, "0d 00", RTMP_ERROR_BAD_REFERENCE);
  check_error (AMF3, "10 00", RTMP_ERROR_BAD_REFERENCE);
  check_error (AMF3, "11 00", RTMP_ERROR_BAD_REFERENCE);
  check_error (AMF3, "09 05 01 06 0361 06 02", RTMP_ERROR_BAD_REFERENCE);
  /* oversized: a 2^28-1 byte string, array, vector, dictionary */
  check_error (AMF3, "06 ffffffff", RTMP_ERROR_TOO_LARGE);
  check_error (AMF3, "0c ffffffff", RTMP_ERROR_TOO_LARGE);
  check_error (AMF3, "09 ffffffff 01", RTMP_ERROR_TOO_LARGE);
  check_error (AMF3, "0f ffffffff 00", RTMP_ERROR_TOO_LARGE);
  check_error (AMF3, "10 ffffffff 00 01", RTMP_ERROR_TOO_LARGE);
  check_error (AMF3, "11 ffffffff 00", RTMP_ERROR_TOO_LARGE);
  /* 2^25-1 sealed members */
  check_error (AMF3, "0a ffffff f3 01", RTMP_ERROR_TOO_LARGE);
  /* past the end */
  check_error (AMF3, "09 fa8901 01 01", RTMP_ERROR_TRUNCATED);
  check_error (AMF3, "0f 05 00 3ff0000000000000", RTMP_ERROR_TRUNCATED);
  check_error (AMF3, "04 ff", RTMP_ERROR_TRUNCATED);
  check_error (AMF3, "", RTMP_ERROR_TRUNCATED);
}

/* ---- both ---- */

typedef struct
{
  Format format;
  const gchar *hex;
} Vector;

/* One of each kind, nested ones, and real messages' values. */
static const Vector vectors[] = {
  { AMF0, "00 3ff0000000000000" },
  { AMF0, "01 01" },
  { AMF0, "02 0005 68656c6c6f" },
  { AMF0, "03 0001 61 00 3ff0000000000000 0000 09" },
  { AMF0, "10 0003 466f6f 0001 78 05 0000 09" },
  { AMF0, "08 00000001 0001 61 05 0000 09" },
  { AMF0, "0a 00000002 02 0001 78 00 4000000000000000" },
  { AMF0, "0a 00000003 03 0000 09 07 0001 07 0000" },
  { AMF0, "0b 426d1a94a2000000 ffc4" },
  { AMF0, "0c 00000002 6869" },
  { AMF0, "0f 00000008 3c613e623c2f613e" },
  { AMF0, "11 09 07 01 0a 0b 01 0361 0401 01 0a 01 00 0402 01 0a 02" },
  { AMF0,
      "03 0001 65 08 00000001 0001 6e 01 01 0000 09"
      "   0001 69 11 04 ffffffff 0000 09" },
  /* nginx-rtmp's _result to connect, properties and information */
  { AMF0,
      "030006666d7356657202000d464d532f332c302c312c313233000c6361706162"
      "696c697469657300403f000000000000000009" },
  { AMF0,
      "0300056c6576656c0200067374617475730004636f646502001d4e6574436f6e"
      "6e656374696f6e2e436f6e6e6563742e53756363657373000b64657363726970"
      "74696f6e020015436f6e6e656374696f6e207375636365656465642e000e6f62"
      "6a656374456e636f64696e67000000000000000000000009" },
  { AMF3, "04 ffffffff" },
  { AMF3, "05 c00c000000000000" },
  { AMF3, "06 0b 68656c6c6f" },
  { AMF3, "07 07 616263" },
  { AMF3, "08 01 426d1a94a2000000" },
  { AMF3, "09 03 0361 0401 01 0402" },
  { AMF3, "09 07 01 0a 0b 01 0361 0401 01 0a 01 00 0402 01 0a 02" },
  { AMF3, "0a 1b 07466f6f 0378 0405 0379 03 01" },
  { AMF3, "0b 07 616263" },
  { AMF3, "0c 07 010203" },
  { AMF3, "0d 05 00 00000001 ffffffff" },
  { AMF3, "0e 03 01 ffffffff" },
  { AMF3, "0f 03 00 3ff0000000000000" },
  { AMF3, "10 05 00 07466f6f 06 0361 01" },
  { AMF3, "11 05 00 06036b 0401 0402 01" },
};

static void
test_truncated_everywhere (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (vectors); i++) {
    GBytes *b = hex_bytes (vectors[i].hex);
    gsize size, cut;
    const guint8 *data = g_bytes_get_data (b, &size);

    for (cut = 0; cut < size; cut++) {
      GError *error = NULL;
      gsize offset = 0;
      AmfValue *v = vectors[i].format == AMF0 ?
          amf0_decode (data, cut, &offset, &error) :
          amf3_decode (data, cut, &offset, &error);

      if (v || !g_error_matches (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED))
        g_error ("%s cut to %" G_GSIZE_FORMAT " bytes: %s", vectors[i].hex, cut,
            error ? error->message : "decoded");
      g_assert_cmpuint (offset, ==, 0);
      g_error_free (error);
    }
    g_bytes_unref (b);
  }
}

static void
test_round_trip (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (vectors); i++) {
    GBytes *b = hex_bytes (vectors[i].hex);
    GError *error = NULL;
    gsize offset = 0;
    AmfValue *v = decode (vectors[i].format, b, &offset, NULL, &error);
    AmfValue *copy;
    GByteArray *out;

    g_assert_no_error (error);
    g_assert_cmpuint (offset, ==, g_bytes_get_size (b));
    out = encode (vectors[i].format, v, &error);
    g_assert_no_error (error);
    /* the long string form of "hi" is the one non-canonical vector */
    if (strncmp (vectors[i].hex, "0c", 2) != 0)
      assert_bytes_equal (out->data, out->len, b);
    copy = amf_value_copy (v);
    g_assert_true (amf_value_equal (v, copy));
    amf_value_free (copy);
    g_byte_array_unref (out);
    amf_value_free (v);
    g_bytes_unref (b);
  }
}

/* Every AMF0 command and data message payload of the recorded sessions
 * decodes and is written back byte for byte. */
static void
test_recorded_sessions (void)
{
  GPtrArray *msgs = load_session_messages ();
  guint i, n = 0;

  for (i = 0; i < msgs->len; i++) {
    SessionMessage *m = g_ptr_array_index (msgs, i);
    GError *error = NULL;
    GPtrArray *values;
    GByteArray *out;
    gsize size;
    const guint8 *data = g_bytes_get_data (m->payload, &size);

    if (m->type != 20 && m->type != 18)
      continue;
    values = amf0_decode_sequence (data, size, 0, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (values->len, >=, 1);
    out = g_byte_array_new ();
    g_assert_true (amf0_encode_sequence (
        (const AmfValue *const *) values->pdata, values->len, out, &error));
    assert_bytes_equal (out->data, out->len, m->payload);
    n++;
    g_byte_array_unref (out);
    g_ptr_array_unref (values);
  }
  g_assert_cmpuint (n, >=, 30);
  g_ptr_array_unref (msgs);
}

/* ---- hostile inputs ---- */

static GBytes *
repeat (const gchar *head_hex, guint n, const gchar *tail_hex)
{
  GBytes *head = hex_bytes (head_hex), *tail = hex_bytes (tail_hex);
  GByteArray *a = g_byte_array_new ();
  guint i;

  for (i = 0; i < n; i++)
    g_byte_array_append (
        a, g_bytes_get_data (head, NULL), g_bytes_get_size (head));
  g_byte_array_append (
      a, g_bytes_get_data (tail, NULL), g_bytes_get_size (tail));
  g_bytes_unref (head);
  g_bytes_unref (tail);
  return g_byte_array_free_to_bytes (a);
}

static void
check_deep (
    Format f, const gchar *head, const gchar *tail, guint n, gboolean ok)
{
  GBytes *b = repeat (head, n, tail);
  GError *error = NULL;
  gsize offset = 0;
  AmfValue *v = decode (f, b, &offset, NULL, &error);

  if (ok) {
    GByteArray *out;

    g_assert_no_error (error);
    g_assert_cmpuint (offset, ==, g_bytes_get_size (b));
    out = encode (f, v, &error);
    g_assert_no_error (error);
    assert_bytes_equal (out->data, out->len, b);
    g_byte_array_unref (out);
    amf_value_free (v);
  } else {
    g_assert_null (v);
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TOO_DEEP);
    g_clear_error (&error);
  }
  g_bytes_unref (b);
}

static void
test_nesting (void)
{
  gdouble t;

  g_test_timer_start ();
  /* 10,000 nested containers of each kind fail fast */
  check_deep (AMF0, "0a 00000001", "05", 10000, FALSE);
  check_deep (AMF0, "03 0001 61", "05", 10000, FALSE);
  check_deep (AMF0, "08 00000001 0001 61", "05", 10000, FALSE);
  check_deep (AMF0, "10 0001 43 0001 61", "05", 10000, FALSE);
  check_deep (AMF3, "09 03 01", "01", 10000, FALSE);
  check_deep (AMF3, "09 01 0361", "01", 10000, FALSE);
  check_deep (AMF3, "0a 0b 01 0361", "01", 10000, FALSE);
  check_deep (AMF3, "10 03 00 01", "01", 10000, FALSE);
  check_deep (AMF3, "11 03 00 01", "01", 10000, FALSE);
  /* AMF3 nesting inside AMF0 counts from the AMF0 depth */
  {
    GBytes *head = repeat ("03 0001 61", 40, "11");
    GBytes *tail = repeat ("09 03 01", 10000, "01");
    GByteArray *a = g_bytes_unref_to_array (head);
    GError *error = NULL;
    AmfValue *v;

    g_byte_array_append (
        a, g_bytes_get_data (tail, NULL), g_bytes_get_size (tail));
    v = amf0_decode (a->data, a->len, NULL, &error);
    g_assert_null (v);
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TOO_DEEP);
    g_assert_nonnull (strstr (error->message, "AMF3 array"));
    g_clear_error (&error);
    g_byte_array_unref (a);
    g_bytes_unref (tail);
  }
  t = g_test_timer_elapsed ();
  g_test_message ("10 inputs of 10,000 levels refused in %.3f s", t);
  g_assert_cmpfloat (t, <, 2.0);

  /* the cap itself is allowed, one more level is not */
  check_deep (AMF0, "0a 00000001", "05", AMF_MAX_DEPTH, TRUE);
  check_deep (AMF0, "0a 00000001", "05", AMF_MAX_DEPTH + 1, FALSE);
  check_deep (AMF3, "09 03 01", "01", AMF_MAX_DEPTH, TRUE);
  check_deep (AMF3, "09 03 01", "01", AMF_MAX_DEPTH + 1, FALSE);

  /* so is what we are given to write */
  {
    AmfValue *v = amf_value_new_null ();
    GError *error = NULL;
    GByteArray *out;
    guint i;

    for (i = 0; i < AMF_MAX_DEPTH + 1; i++) {
      AmfValue *a = amf_value_new_strict_array ();

      amf_value_append_element (a, v);
      v = a;
    }
    out = encode (AMF0, v, &error);
    g_assert_null (out);
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TOO_DEEP);
    g_clear_error (&error);
    out = encode (AMF3, v, &error);
    g_assert_null (out);
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TOO_DEEP);
    g_clear_error (&error);
    amf_value_free (v);
  }
}

static gsize
heap_in_use (void)
{
  struct mallinfo2 mi = mallinfo2 ();

  return mi.uordblks + mi.hblkhd;
}

/* Decodes @b; checks the budget charged stays within AMF_ALLOC_FACTOR per
 * input byte, and that the heap really grew by no more than that. */
static void
check_bounded (Format f, GBytes *b, gboolean ok)
{
  AmfDecodeLimits limits = {
    0,
  };
  GError *error = NULL;
  gsize size = g_bytes_get_size (b), before, grown;
  AmfValue *v;

  before = heap_in_use ();
  v = decode (f, b, NULL, &limits, &error);
  grown = heap_in_use () - before;
  g_test_message ("%" G_GSIZE_FORMAT
                  " input bytes: %s; charged %" G_GSIZE_FORMAT
                  ", heap grew %" G_GSIZE_FORMAT " (%.1f per byte)",
      size, v ? "decoded" : error->message, limits.allocated, grown,
      (gdouble) grown / size);
  if (ok)
    g_assert_no_error (error);
  else
    g_assert_nonnull (error);
  g_assert_cmpuint (
      limits.allocated, <=, AMF_ALLOC_FACTOR * size + AMF_ALLOC_SLACK);
  /* mallinfo2 sees nothing under ASan, which has its own malloc */
  if (before > 0 && v)
    g_assert_cmpuint (grown, <=, limits.allocated);
  amf_value_free (v);
  g_clear_error (&error);
}

static void
test_allocation_bounded (void)
{
  GBytes *b;
  AmfDecodeLimits limits = {
    0,
  };
  GError *error = NULL;
  AmfValue *v;
  GByteArray *a;
  guint i;

  /* a count of 1,000,000 in a 10-byte input fails before allocating */
  b = hex_bytes ("0a 000f4240 05 05 05 05 05");
  v = decode (AMF0, b, NULL, &limits, &error);
  g_assert_null (v);
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED);
  g_assert_cmpuint (limits.allocated, <, 100);
  g_clear_error (&error);
  g_bytes_unref (b);
  b = hex_bytes ("09 fa8901 01 01 01 01 01");
  v = decode (AMF3, b, NULL, &limits, &error);
  g_assert_null (v);
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED);
  g_assert_cmpuint (limits.allocated, <, 100);
  g_clear_error (&error);
  g_bytes_unref (b);

  /* 20,000 string references to one 60,000-byte string: shared, not
   * copied (copies would take 1.2 GB) */
  a = g_byte_array_new ();
  {
    guint32 u = (20001 << 1) | 1;
    guint8 hdr[] = { 0x09, 0x80 | (u >> 14), 0x80 | ((u >> 7) & 0x7f), u & 0x7f,
      0x01 };
    guint32 len = (60000 << 1) | 1;
    guint8 shdr[] = { 0x06, 0x80 | (len >> 14), 0x80 | ((len >> 7) & 0x7f),
      len & 0x7f };
    guint8 ref[] = { 0x06, 0x00 };
    gchar *s = g_malloc (60000);

    memset (s, 'x', 60000);
    g_byte_array_append (a, hdr, sizeof (hdr));
    g_byte_array_append (a, shdr, sizeof (shdr));
    g_byte_array_append (a, (guint8 *) s, 60000);
    for (i = 0; i < 20000; i++)
      g_byte_array_append (a, ref, 2);
    g_free (s);
  }
  b = g_byte_array_free_to_bytes (a);
  check_bounded (AMF3, b, TRUE);
  g_bytes_unref (b);

  /* one-byte values are the densest legitimate input */
  {
    GByteArray *arr = g_byte_array_new ();
    guint8 hdr[] = { 0x0a, 0x00, 0x00, 0x4e, 0x20 };

    g_byte_array_append (arr, hdr, 5);
    for (i = 0; i < 20000; i++)
      g_byte_array_append (arr, (const guint8 *) "\x05", 1);
    b = g_byte_array_free_to_bytes (arr);
    check_bounded (AMF0, b, TRUE);
    g_bytes_unref (b);
  }
  /* objects by traits reference, members by string reference */
  {
    GByteArray *arr = g_byte_array_new ();
    guint32 u = (10001 << 1) | 1;
    guint8 hdr[] = { 0x09, 0x80 | (u >> 14), 0x80 | ((u >> 7) & 0x7f), u & 0x7f,
      0x01, 0x0a, 0x0b, 0x01, 0x03, 0x61, 0x01, 0x01 };

    g_byte_array_append (arr, hdr, sizeof (hdr));
    for (i = 0; i < 10000; i++)
      g_byte_array_append (arr, (const guint8 *) "\x0a\x01\x00\x01\x01", 5);
    b = g_byte_array_free_to_bytes (arr);
    check_bounded (AMF3, b, TRUE);
    g_bytes_unref (b);
  }

  /* a tighter budget is honoured */
  b = hex_bytes ("0a 00000003 05 05 05");
  limits.max_alloc = 100;
  v = decode (AMF0, b, NULL, &limits, &error);
  g_assert_null (v);
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TOO_LARGE);
  g_assert_cmpuint (limits.allocated, <=, 100);
  g_clear_error (&error);
  limits.max_alloc = 0;
  limits.max_depth = 1;
  v = decode (AMF0, b, NULL, &limits, &error);
  g_assert_no_error (error);
  amf_value_free (v);
  g_bytes_unref (b);
  b = hex_bytes ("0a 00000001 0a 00000000");
  v = decode (AMF0, b, NULL, &limits, &error);
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TOO_DEEP);
  g_clear_error (&error);
  g_bytes_unref (b);
}

/* ---- encoding errors ---- */

static void
check_encode_error (Format f, AmfValue *v, RtmpError code)
{
  GError *error = NULL;
  GByteArray *out = g_byte_array_new ();
  gboolean ok;

  g_byte_array_append (out, (const guint8 *) "ab", 2);
  ok = f == AMF0 ? amf0_encode (v, out, &error) : amf3_encode (v, out, &error);
  g_assert_false (ok);
  g_assert_error (error, RTMP_ERROR, (gint) code);
  /* nothing half-written is left behind */
  g_assert_cmpuint (out->len, ==, 2);
  g_clear_error (&error);
  g_byte_array_unref (out);
  amf_value_free (v);
}

static void
test_encode_errors (void)
{
  AmfValue *v;

  check_encode_error (
      AMF0, amf_value_new_reference (0), RTMP_ERROR_BAD_REFERENCE);
  check_encode_error (
      AMF3, amf_value_new_reference (0), RTMP_ERROR_BAD_REFERENCE);
  v = amf_value_new_strict_array ();
  amf_value_append_element (v, amf_value_new_reference (1));
  check_encode_error (AMF0, v, RTMP_ERROR_BAD_REFERENCE);
  check_encode_error (
      AMF0, obj1 ("", amf_value_new_null ()), RTMP_ERROR_INVALID);
  check_encode_error (
      AMF3, obj1 ("", amf_value_new_null ()), RTMP_ERROR_INVALID);
  v = amf_value_new_array ();
  amf_value_set_property (v, "", amf_value_new_null ());
  check_encode_error (AMF3, v, RTMP_ERROR_INVALID);
  {
    gchar *name = g_malloc (70000);

    memset (name, 'n', 69999);
    name[69999] = 0;
    check_encode_error (
        AMF0, obj1 (name, amf_value_new_null ()), RTMP_ERROR_TOO_LARGE);
    g_free (name);
  }
}

/* ---- offsets ---- */

static void
test_offsets (void)
{
  GBytes *b = hex_bytes ("ff 02 0001 61 05 12");
  gsize size, offset = 1;
  const guint8 *data = g_bytes_get_data (b, &size);
  GError *error = NULL;
  AmfValue *v;
  GPtrArray *seq;

  /* one value at a time, from an offset */
  v = amf0_decode (data, size, &offset, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (amf_value_get_string (v), ==, "a");
  g_assert_cmpuint (offset, ==, 5);
  amf_value_free (v);
  v = amf0_decode (data, size, &offset, &error);
  g_assert_cmpint (amf_value_get_type (v), ==, AMF_TYPE_NULL);
  g_assert_cmpuint (offset, ==, 6);
  amf_value_free (v);
  /* a failure leaves the offset, and names the offset in the input */
  v = amf0_decode (data, size, &offset, &error);
  g_assert_null (v);
  g_assert_cmpuint (offset, ==, 6);
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_UNKNOWN_TYPE);
  g_assert_nonnull (strstr (error->message, "at offset 6"));
  g_clear_error (&error);

  /* a sequence stops at the first bad value */
  seq = amf0_decode_sequence (data, size, 1, NULL, &error);
  g_assert_null (seq);
  g_assert_nonnull (strstr (error->message, "at offset 6"));
  g_clear_error (&error);
  seq = amf0_decode_sequence (data, size - 1, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (seq->len, ==, 2);
  g_ptr_array_unref (seq);
  seq = amf0_decode_sequence (data, 1, 1, NULL, &error);
  g_assert_cmpuint (seq->len, ==, 0);
  g_ptr_array_unref (seq);
  g_bytes_unref (b);

  /* AMF3 the same way */
  b = hex_bytes ("06 0361 06 00 01");
  data = g_bytes_get_data (b, &size);
  seq = amf3_decode_sequence (data, size, 0, NULL, &error);
  /* each value has its own string table: the reference in the second
   * has nothing to refer to */
  g_assert_null (seq);
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_BAD_REFERENCE);
  g_assert_nonnull (strstr (error->message, "at offset 3"));
  g_clear_error (&error);
  offset = 0;
  v = amf3_decode (data, size, &offset, &error);
  g_assert_cmpuint (offset, ==, 3);
  amf_value_free (v);
  g_bytes_unref (b);
}

/* ---- the model ---- */

static void
test_accessors (void)
{
  AmfValue *o = amf_value_new_object ();
  const AmfValue *p;

  amf_value_set_property_string (o, "code", "NetStream.Play.Start");
  amf_value_set_property_number (o, "n", 3);
  amf_value_set_property_boolean (o, "b", TRUE);
  amf_value_set_property (
      o, "i", amf_value_new_avmplus (amf_value_new_integer (9)));
  g_assert_cmpuint (amf_value_get_n_properties (o), ==, 4);
  g_assert_cmpstr (
      amf_value_get_property_string (o, "code"), ==, "NetStream.Play.Start");
  g_assert_cmpfloat (amf_value_get_property_number (o, "n", -1), ==, 3);
  g_assert_cmpfloat (amf_value_get_property_number (o, "i", -1), ==, 9);
  g_assert_true (amf_value_get_property_boolean (o, "b", FALSE));
  /* wrong types and missing members give the default */
  g_assert_cmpfloat (amf_value_get_property_number (o, "code", -1), ==, -1);
  g_assert_null (amf_value_get_property_string (o, "n"));
  g_assert_null (amf_value_get_property (o, "missing"));
  g_assert_cmpfloat (amf_value_get_property_number (o, "missing", 7), ==, 7);
  g_assert_false (amf_value_get_property_boolean (o, "n", FALSE));
  g_assert_null (amf_value_get_property (NULL, "x"));
  g_assert_null (amf_value_get_string (NULL));
  g_assert_cmpstr (amf_value_get_string_or (NULL, "d"), ==, "d");
  g_assert_cmpfloat (amf_value_get_number (NULL), ==, 0);
  g_assert_null (amf_value_get_element (o, 0));
  g_assert_cmpuint (amf_value_get_n_elements (o), ==, 0);

  /* setting replaces; appending keeps duplicates, the first one wins */
  amf_value_set_property_number (o, "n", 4);
  g_assert_cmpuint (amf_value_get_n_properties (o), ==, 4);
  g_assert_cmpfloat (amf_value_get_property_number (o, "n", -1), ==, 4);
  amf_value_append_property (o, "n", amf_value_new_number (5));
  g_assert_cmpuint (amf_value_get_n_properties (o), ==, 5);
  g_assert_cmpfloat (amf_value_get_property_number (o, "n", -1), ==, 4);
  g_assert_cmpstr (amf_value_get_property_name (o, 4), ==, "n");

  /* no place for a member in a number */
  {
    AmfValue *n = amf_value_new_number (1);

    g_assert_false (amf_value_set_property (n, "x", amf_value_new_null ()));
    g_assert_false (amf_value_append_element (n, amf_value_new_null ()));
    amf_value_free (n);
  }

  /* copies are deep and equal, and then independent */
  {
    AmfValue *c = amf_value_copy (o);

    g_assert_true (amf_value_equal (o, c));
    amf_value_set_property_string (c, "code", "x");
    g_assert_false (amf_value_equal (o, c));
    g_assert_cmpstr (
        amf_value_get_property_string (o, "code"), ==, "NetStream.Play.Start");
    amf_value_free (c);
  }

  p = amf_value_get_property (o, "i");
  g_assert_cmpint (amf_value_get_type (p), ==, AMF_TYPE_AVMPLUS);
  g_assert_cmpint (
      amf_value_get_type (amf_value_unwrap (p)), ==, AMF_TYPE_INTEGER);
  g_assert_cmpint (amf_value_get_integer (p), ==, 9);
  amf_value_free (o);

  {
    gint16 tz;
    AmfValue *d = amf_value_new_date (5, -120);

    g_assert_cmpfloat (amf_value_get_date (d, &tz), ==, 5);
    g_assert_cmpint (tz, ==, -120);
    amf_value_free (d);
  }
  g_assert_cmpstr (amf_type_name (AMF_TYPE_ECMA_ARRAY), ==, "ECMA array");
}

static void
test_printer (void)
{
  AmfValue *o = amf_value_new_object ();
  AmfValue *a = amf_value_new_strict_array ();
  gchar *long_str = g_malloc (1001);
  gchar *s;
  guint i;

  memset (long_str, 'x', 1000);
  long_str[1000] = 0;
  amf_value_set_property_string (o, "app", "live");
  amf_value_set_property_number (o, "n", 1.5);
  amf_value_set_property (o, "nl", amf_value_new_string ("a\nb\"c"));
  amf_value_set_property_string (o, "long", long_str);
  s = amf_value_to_string (o);
  g_test_message ("%s", s);
  g_assert_nonnull (strstr (s, "app: \"live\""));
  g_assert_nonnull (strstr (s, "n: 1.5"));
  g_assert_nonnull (strstr (s, "nl: \"a\\x0ab\\\"c\""));
  g_assert_nonnull (strstr (s, "...(1000 bytes)"));
  g_assert_cmpuint (strlen (s), <, 200);
  g_free (s);

  /* so are member and class names */
  {
    AmfValue *t = amf_value_new_typed_object (long_str);

    amf_value_set_property (t, long_str, amf_value_new_null ());
    amf_value_set_property (t, "a\nb", amf_value_new_null ());
    s = amf_value_to_string (t);
    g_test_message ("%s", s);
    g_assert_cmpuint (strlen (s), <, 300);
    g_assert_nonnull (strstr (s, "a\\x0ab: null"));
    g_free (s);
    amf_value_free (t);
  }

  /* many elements and deep nesting stay short */
  for (i = 0; i < 1000; i++)
    amf_value_append_element (a, amf_value_copy (o));
  s = amf_value_to_string (a);
  g_assert_cmpuint (strlen (s), <, 8192);
  g_assert_nonnull (strstr (s, "more"));
  g_free (s);

  amf_value_free (o);
  amf_value_free (a);
  g_free (long_str);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/amf0/scalars", test_amf0_scalars);
  g_test_add_func ("/amf0/long-string", test_amf0_long_string);
  g_test_add_func ("/amf0/containers", test_amf0_containers);
  g_test_add_func ("/amf0/amf3-only-types", test_amf0_amf3_only_types);
  g_test_add_func ("/amf0/errors", test_amf0_errors);
  g_test_add_func ("/amf3/scalars", test_amf3_scalars);
  g_test_add_func ("/amf3/integer-range", test_amf3_integer_range);
  g_test_add_func ("/amf3/containers", test_amf3_containers);
  g_test_add_func ("/amf3/mapped-types", test_amf3_mapped_types);
  g_test_add_func ("/amf3/errors", test_amf3_errors);
  g_test_add_func ("/amf/truncated-everywhere", test_truncated_everywhere);
  g_test_add_func ("/amf/round-trip", test_round_trip);
  g_test_add_func ("/amf/recorded-sessions", test_recorded_sessions);
  g_test_add_func ("/amf/nesting", test_nesting);
  g_test_add_func ("/amf/allocation-bounded", test_allocation_bounded);
  g_test_add_func ("/amf/encode-errors", test_encode_errors);
  g_test_add_func ("/amf/offsets", test_offsets);
  g_test_add_func ("/amf/accessors", test_accessors);
  g_test_add_func ("/amf/printer", test_printer);
  return g_test_run ();
}
