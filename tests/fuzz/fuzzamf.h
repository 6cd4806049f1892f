/* gst-rtmpe: what the AMF fuzz targets share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __FUZZ_AMF_H__
#define __FUZZ_AMF_H__

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amf.h"
#include "rtmperror.h"
#include "rtmplimits.h"

typedef GPtrArray *(*FuzzDecode) (const guint8 *data, gsize size, gsize offset,
    AmfDecodeLimits *limits, GError **error);
typedef gboolean (*FuzzEncode) (const AmfValue *const *values, guint n_values,
    GByteArray *out, GError **error);

static inline void
fuzz_fail (const gchar *what, const GError *error)
{
  fprintf (
      stderr, "%s%s%s\n", what, error ? ": " : "", error ? error->message : "");
  abort ();
}

static inline void
fuzz_amf_round_trip (
    const guint8 *data, gsize size, FuzzDecode decode, FuzzEncode encode)
{
  AmfDecodeLimits limits = {
    0,
  };
  GError *error = NULL;
  GPtrArray *values, *again;
  GByteArray *out, *out2;
  guint i;

  values = decode (data, size, 0, &limits, &error);
  if (limits.allocated > AMF_ALLOC_FACTOR * size + AMF_ALLOC_SLACK)
    fuzz_fail ("the budget was overspent", NULL);
  if (!values) {
    if (!error || error->domain != RTMP_ERROR)
      fuzz_fail ("decoding failed without an RTMP_ERROR", error);
    g_error_free (error);
    return;
  }

  for (i = 0; i < values->len; i++) {
    const AmfValue *v = g_ptr_array_index (values, i);
    gchar *s = amf_value_to_string (v);
    AmfValue *copy = amf_value_copy (v);

    if (strlen (s) > 16384)
      fuzz_fail ("the printer wrote too much", NULL);
    if (!amf_value_equal (v, copy))
      fuzz_fail ("a copy differs", NULL);
    amf_value_free (copy);
    g_free (s);
  }

  out = g_byte_array_new ();
  if (!encode (
          (const AmfValue *const *) values->pdata, values->len, out, &error))
    fuzz_fail ("decoded values could not be encoded", error);
  again = decode (out->data, out->len, 0, NULL, &error);
  if (!again)
    fuzz_fail ("encoded values could not be decoded", error);
  if (again->len != values->len)
    fuzz_fail ("a different number of values came back", NULL);
  for (i = 0; i < values->len; i++) {
    if (!amf_value_equal (
            g_ptr_array_index (values, i), g_ptr_array_index (again, i)))
      fuzz_fail ("a value came back different", NULL);
  }
  out2 = g_byte_array_new ();
  if (!encode (
          (const AmfValue *const *) again->pdata, again->len, out2, &error))
    fuzz_fail ("values could not be encoded a second time", error);
  /* an empty GByteArray's data is NULL: memcmp must not see it */
  if (out->len != out2->len ||
      (out->len > 0 && memcmp (out->data, out2->data, out->len) != 0))
    fuzz_fail ("encoding is not canonical", NULL);

  g_byte_array_unref (out2);
  g_ptr_array_unref (again);
  g_byte_array_unref (out);
  g_ptr_array_unref (values);
}

#endif
