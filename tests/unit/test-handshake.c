/* gst-rtmpe: the RTMP handshake (simple, digest, RTMPE 06/08/09), both sides
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Known-answer tests run our client against our server with a test crypto
 * adapter that wraps the OpenSSL one but fixes the random filler (byte j of
 * every random () call is (j & 0xff) ^ X, X = 0x00 for the client and 0x5a
 * for the server) and the DH private keys (PRIV_* below).
 *
 * How the expected values were derived: a throwaway Python 3 script, kept
 * out of the repository, rebuilt every packet from the definitions in
 * shared/specs/rtmpe-handshake.md with the standard library only (hmac,
 * hashlib, pow () for Diffie-Hellman on the RFC 2409 group 2 prime) and its
 * own RC4, XTEA and Blowfish (Blowfish's P and S tables computed from the
 * hex digits of pi by Machin's formula). Those three were first checked
 * against published vectors: RFC 6229 (RC4, key 0102030405), the XTEA
 * vectors of libavutil/tests/xtea.c, and Eric Young's Blowfish vectors
 * (key 00.., 4ef997456198dd78; key ff.., 51866fd5b85ecb8a; key
 * 0123456789abcdef, 61f9c3802281b096). The private keys are SHA-256 of
 * "gst-rtmpe test client-0..3" (and server, and "server zero N") with the
 * top byte cleared; PRIV_SERVER_ZERO is the first such key (124th try)
 * whose shared secret with PRIV_CLIENT has a zero top byte. The hex strings
 * below are the script's output pasted verbatim.
 */
#include <string.h>
#include <gst/gst.h>

#include "rtmphandshake.h"
#include "rtmpecrypto.h"
#include "rtmpdhgroups.h"
#include "rtmperror.h"

/* ---- expected values (from the script) ----------------------------------- */

typedef struct
{
  guint c_dig_off, c_dh_off, s_dig_off, s_dh_off;
  const gchar *c1_digest, *s1_digest, *c_pub, *s_pub, *secret;
  const gchar *k_c2s, *k_s2c, *ks_c2s, *ks_s2c;
  const gchar *s2_key, *s2_sig_raw, *s2_sig, *c2_key, *c2_sig_raw, *c2_sig;
  const gchar *swf_verification;
  const gchar *to_server_sha256, *to_client_sha256;
} Kat;

#define PRIV_CLIENT                                                            \
  "0027b4663959ccd30f01ff34ce6e91063863525385e8cdfbfb48e55e1073717a8cad19d644" \
  "8f61e6633ff35da908e65659141567d515df8f77c230860f444cc8c029966fdd2d2e247001" \
  "8fe5a7291980ca7b382f2097a2d79f50967c2dcadf881c71fa164f552c8e301e41fbed696c" \
  "0f62a89bc4201b86769b73172c3cdb1d79"
#define PRIV_SERVER                                                            \
  "008942d3f079dea9eb4410f5d88da846888aba2fbb20be3ecc8077e065af72488d74b8246d" \
  "da8192b9ca05baa087c0880c0ebe3079826210b0cc1a67269deaa1cda66049f234f9905f9d" \
  "f0abff2a5005b23a485d8b38afffe17b03195795e695fd16d31039cc7e4a4280cf6842c488" \
  "abeeb06e55796e0687f124658a07172ace"
#define PRIV_SERVER_ZERO                                                       \
  "0056059a294ada9fa05ffd71395cd276b06a4b9c17910f830c326de8a8744dfa3fb6b501f4" \
  "ee685c3cc4097f2a385f6179c015b01c1aca6a603dc4f9401aaef60116db88560a6c32228f" \
  "3c71401476d300a2e42a581cc84caadd82b94f05ac8979808be4f73179ab343cab7c1e2e7b" \
  "db9ad09c44b91600adb463b3f139923999"
static const Kat kat_rtmpe06 = {
  .c_dig_off = 798,
  .c_dh_off = 14,
  .s_dig_off = 338,
  .s_dh_off = 802,
  .c1_digest =
      "88b006fc353170f11529b45296c4fd5572bc182b7c30d96260e3828da864c450",
  .s1_digest =
      "6363fab65ff6a065a20ccd0aee8674e25c6276e84e038b3f6a1cb96a96cc8c4d",
  .c_pub = "486f5751171e03dca2f72c517c82336d7b77cf560b697520b1b91bf9b0005fb0862"
           "84c0767657db16b1e342d49d8aa9d26fc320bc6980b1b36b83a69bd8aa9c12520af"
           "6831e791d5ed21717f8677b5ce4729b49b7e0498439191ec2f99b8436bba5baabe4"
           "8c37f9d841d1e1706b2e49f5918ebb2f9094b6ca39d02effde763c9",
  .s_pub = "35f17948f22d48158d0d2bea096ff25b8595dc5c54b2b0eeb1af9dc123f8ff79470"
           "0fcdc7484613ceca4876db8e0292f6ae43ddc7635119daf2178730dde39916060e6"
           "20a1c12cf7703e2a4abe96aa613ef6fd9262d989f090cd8247e1ae74f59101a71ce"
           "f7745ac6a9ce72a881415c028dd523e94ad0f360291d3345cde8d0a",
  .secret = "f544b928ec758616c89ea55c9a46c08e762a995e972c16ae1d2d2731e3d2fb5e20"
            "9990d67641c852379784583ee8b107e888465d08cda9e60ed0ea220924ae262b2b"
            "fd60809f1a4358574c0651bb467921b6450ebb0b0cfdf87722887959efe865a074"
            "2ea59e5860bc90ac7d92485d1a81d6fb0032c26330e24e3de62a1cae5a",
  .k_c2s = "96bb228e63f276655f73624a66185434",
  .k_s2c = "bcd7250db56fa71741d4a6a8651ce25a",
  .ks_c2s = "eb2ad434ee0160cbee3b66a583e3e291",
  .ks_s2c = "137b43d74d5fca89b4d294c33629ddd0",
  .s2_key = "d63756ea4f9467a81a53176ae8e4d592f485ffa19ea93436361bf0651490dbf4",
  .s2_sig_raw =
      "2c582e83846fbc85248fdfe6cf685458c57b188eff49ed17285fba93ea4872da",
  .s2_sig = "2c582e83846fbc85248fdfe6cf685458c57b188eff49ed17285fba93ea4872da",
  .c2_key = "e53ac6815834a92bedfce402ab9ab8e21e92994264ba6c96639d269f863c0d7a",
  .c2_sig_raw =
      "56ce95f09326a16eb540d668d2231abf2369e2f85c2d24b99894adedc203755f",
  .c2_sig = "56ce95f09326a16eb540d668d2231abf2369e2f85c2d24b99894adedc203755f",
  .swf_verification = "010100003039000030395aeebd558b0885b21d59aca1b2d7b8b7f541"
                      "7efb9025976a5d3c761ec4cf3896",
  .to_server_sha256 =
      "d8843aa0ac02bb11726b81da4e988b8a77599ca8ff7f5994fd544a4dddd60c3e",
  .to_client_sha256 =
      "4771c2727748a53a39130b2e46c4cf94861f8bdeaa0f8bbc8f6003e20d73479f",
};
static const Kat kat_rtmpe08 = {
  .c_dig_off = 798,
  .c_dh_off = 14,
  .s_dig_off = 338,
  .s_dh_off = 802,
  .c1_digest =
      "88b006fc353170f11529b45296c4fd5572bc182b7c30d96260e3828da864c450",
  .s1_digest =
      "6363fab65ff6a065a20ccd0aee8674e25c6276e84e038b3f6a1cb96a96cc8c4d",
  .c_pub = "486f5751171e03dca2f72c517c82336d7b77cf560b697520b1b91bf9b0005fb0862"
           "84c0767657db16b1e342d49d8aa9d26fc320bc6980b1b36b83a69bd8aa9c12520af"
           "6831e791d5ed21717f8677b5ce4729b49b7e0498439191ec2f99b8436bba5baabe4"
           "8c37f9d841d1e1706b2e49f5918ebb2f9094b6ca39d02effde763c9",
  .s_pub = "35f17948f22d48158d0d2bea096ff25b8595dc5c54b2b0eeb1af9dc123f8ff79470"
           "0fcdc7484613ceca4876db8e0292f6ae43ddc7635119daf2178730dde39916060e6"
           "20a1c12cf7703e2a4abe96aa613ef6fd9262d989f090cd8247e1ae74f59101a71ce"
           "f7745ac6a9ce72a881415c028dd523e94ad0f360291d3345cde8d0a",
  .secret = "f544b928ec758616c89ea55c9a46c08e762a995e972c16ae1d2d2731e3d2fb5e20"
            "9990d67641c852379784583ee8b107e888465d08cda9e60ed0ea220924ae262b2b"
            "fd60809f1a4358574c0651bb467921b6450ebb0b0cfdf87722887959efe865a074"
            "2ea59e5860bc90ac7d92485d1a81d6fb0032c26330e24e3de62a1cae5a",
  .k_c2s = "96bb228e63f276655f73624a66185434",
  .k_s2c = "bcd7250db56fa71741d4a6a8651ce25a",
  .ks_c2s = "eb2ad434ee0160cbee3b66a583e3e291",
  .ks_s2c = "137b43d74d5fca89b4d294c33629ddd0",
  .s2_key = "d63756ea4f9467a81a53176ae8e4d592f485ffa19ea93436361bf0651490dbf4",
  .s2_sig_raw =
      "2c582e83846fbc85248fdfe6cf685458c57b188eff49ed17285fba93ea4872da",
  .s2_sig = "37b0fa6a1fd29aec18bb5707420a97d5b1a7f3fc830102f535e273382ef5acb9",
  .c2_key = "e53ac6815834a92bedfce402ab9ab8e21e92994264ba6c96639d269f863c0d7a",
  .c2_sig_raw =
      "56ce95f09326a16eb540d668d2231abf2369e2f85c2d24b99894adedc203755f",
  .c2_sig = "cc31e34457a6d840a127ee8ea5c3642fb286f120a0e58281b639e803f647dfea",
  .swf_verification = "010100003039000030395aeebd558b0885b21d59aca1b2d7b8b7f541"
                      "7efb9025976a5d3c761ec4cf3896",
  .to_server_sha256 =
      "50931349558844a98475718b69d8877af2c7943f75a0111d56023129a6a8fae3",
  .to_client_sha256 =
      "6b988f5919f518b634d4cccb8fb876ca1c7c47d9c8c0530ca5c3539ea8b3390a",
};
static const Kat kat_rtmpe09 = {
  .c_dig_off = 798,
  .c_dh_off = 14,
  .s_dig_off = 338,
  .s_dh_off = 802,
  .c1_digest =
      "88b006fc353170f11529b45296c4fd5572bc182b7c30d96260e3828da864c450",
  .s1_digest =
      "6363fab65ff6a065a20ccd0aee8674e25c6276e84e038b3f6a1cb96a96cc8c4d",
  .c_pub = "486f5751171e03dca2f72c517c82336d7b77cf560b697520b1b91bf9b0005fb0862"
           "84c0767657db16b1e342d49d8aa9d26fc320bc6980b1b36b83a69bd8aa9c12520af"
           "6831e791d5ed21717f8677b5ce4729b49b7e0498439191ec2f99b8436bba5baabe4"
           "8c37f9d841d1e1706b2e49f5918ebb2f9094b6ca39d02effde763c9",
  .s_pub = "35f17948f22d48158d0d2bea096ff25b8595dc5c54b2b0eeb1af9dc123f8ff79470"
           "0fcdc7484613ceca4876db8e0292f6ae43ddc7635119daf2178730dde39916060e6"
           "20a1c12cf7703e2a4abe96aa613ef6fd9262d989f090cd8247e1ae74f59101a71ce"
           "f7745ac6a9ce72a881415c028dd523e94ad0f360291d3345cde8d0a",
  .secret = "f544b928ec758616c89ea55c9a46c08e762a995e972c16ae1d2d2731e3d2fb5e20"
            "9990d67641c852379784583ee8b107e888465d08cda9e60ed0ea220924ae262b2b"
            "fd60809f1a4358574c0651bb467921b6450ebb0b0cfdf87722887959efe865a074"
            "2ea59e5860bc90ac7d92485d1a81d6fb0032c26330e24e3de62a1cae5a",
  .k_c2s = "96bb228e63f276655f73624a66185434",
  .k_s2c = "bcd7250db56fa71741d4a6a8651ce25a",
  .ks_c2s = "eb2ad434ee0160cbee3b66a583e3e291",
  .ks_s2c = "137b43d74d5fca89b4d294c33629ddd0",
  .s2_key = "d63756ea4f9467a81a53176ae8e4d592f485ffa19ea93436361bf0651490dbf4",
  .s2_sig_raw =
      "2c582e83846fbc85248fdfe6cf685458c57b188eff49ed17285fba93ea4872da",
  .s2_sig = "1fa9ac49c03d3d15e708a9cec1436a2c069abb673e94a0a0659c6cd39de37929",
  .c2_key = "e53ac6815834a92bedfce402ab9ab8e21e92994264ba6c96639d269f863c0d7a",
  .c2_sig_raw =
      "56ce95f09326a16eb540d668d2231abf2369e2f85c2d24b99894adedc203755f",
  .c2_sig = "d4a2b2116246720a98edbb99a722da858b0d8d96ddb4a7803d4fb5fd245247ac",
  .swf_verification = "010100003039000030395aeebd558b0885b21d59aca1b2d7b8b7f541"
                      "7efb9025976a5d3c761ec4cf3896",
  .to_server_sha256 =
      "315584c4636c8e2ac394c6a2adf6448cfe0ee7a659f8ad1ac919a7e8156b36f0",
  .to_client_sha256 =
      "2d33429d32550491ed4c48496d91df1abe9448fc95f6d8f3ec80b5fed6a29292",
};
static const Kat kat_rtmpe06_zero = {
  .c_dig_off = 50,
  .c_dh_off = 1154,
  .s_dig_off = 1150,
  .s_dh_off = 366,
  .c1_digest =
      "4ccb0bc4f85fc31ec87f5d12e4c64250f133b594fe340007335b547c5a17a6ee",
  .s1_digest =
      "75f8dd3f919b37879f27d758348d532177a1763503426e2c49d8a626281208cf",
  .c_pub = "486f5751171e03dca2f72c517c82336d7b77cf560b697520b1b91bf9b0005fb0862"
           "84c0767657db16b1e342d49d8aa9d26fc320bc6980b1b36b83a69bd8aa9c12520af"
           "6831e791d5ed21717f8677b5ce4729b49b7e0498439191ec2f99b8436bba5baabe4"
           "8c37f9d841d1e1706b2e49f5918ebb2f9094b6ca39d02effde763c9",
  .s_pub = "d9a86312e6ed78717f6c5015536d24aba00e9c5f75778a67af69bdfb70ce0cf00c0"
           "76fe93c20e289fae1e2894f5ef9b2179b33c82e1ee5847a16c70fe623bb99be4799"
           "9c65ab362102f965127dac23c9a248b27a98fda27c42ecd65c85eff55c970af7d10"
           "9b3f052791b1ddd8979b960ece67684ef38edc03e9d8436ea306977",
  .secret = "002d372c1a1c1d9322389d5ca0e0d82b9cc42fabb92f27c1c179b0c86d981bd272"
            "4810cc10d13ebdb72c638ab81aebb5c9af3912c367a77a921196c5c8927cdf5014"
            "3abb1cae4bd4d8e6a9053f80680e2e92e711d5bda8ec637f03b50c152ead822d94"
            "0f799ecc6e49f64a68028a40c9b927f61a7ec2db97d32b233e3c53a049",
  .k_c2s = "7661a05af4db0ca2b72658cfa006bd97",
  .k_s2c = "1abcc889a7c5719e45461b497810b941",
  .ks_c2s = "bf5d752442233d2e43d13b5ae08e7891",
  .ks_s2c = "3296dd1455e4b13ca22368824e7e3fff",
  .s2_key = "590bd404d20ddeb27740095be79fe290489dcfa27d44e208e790b93520bbfd7d",
  .s2_sig_raw =
      "02a663eda6bd3d3d55b438c87d3bc663a61172ad935cee4b8ea5e77e36703d4c",
  .s2_sig = "02a663eda6bd3d3d55b438c87d3bc663a61172ad935cee4b8ea5e77e36703d4c",
  .c2_key = "405ccc6c24ede75939c751115cd5a3bf30272e34c461d5a1289d152a474d6a75",
  .c2_sig_raw =
      "5dd53d2b3fed22b386a28aefe5f96ddd6971f4a6790266f1eee27713c517309c",
  .c2_sig = "5dd53d2b3fed22b386a28aefe5f96ddd6971f4a6790266f1eee27713c517309c",
  .swf_verification = "010100003039000030395aeebd558b0885b21d59aca1b2d7b8b7f541"
                      "7efb9025976a5d3c761ec4cf3896",
  .to_server_sha256 =
      "2295ff3d1238fa8dcdc885587956982834c0aece6e2d50a345e2485e037e7c0b",
  .to_client_sha256 =
      "0a832ffe69e0d8f63ea97cb995156fb6b42200d9ab424d766a5c3f7b2c9d7a3c",
};
static const Kat kat_plain_digest = {
  .c_dig_off = 50,
  .s_dig_off = 1150,
  .c1_digest =
      "2bfb3279948b6863a6456ce73e13f5125c1144ded2130daff7710aaa31f7cf85",
  .s1_digest =
      "a6dd31ddb6e340a0037a6e1585947a4f62d66c291974debdecfd32613617c4fe",
  .s2_key = "66af4f21111cafe6bdb3b867beb9a3df8a80d113280f851059e08913d41e0038",
  .s2_sig_raw =
      "8b7766e320e113e594c5e8237bae8e52a59f059f6d5bf82f6c2249f439b2e600",
  .s2_sig = "8b7766e320e113e594c5e8237bae8e52a59f059f6d5bf82f6c2249f439b2e600",
  .c2_key = "9e2b878b890009ed2c219484138562e3622e31bf9a9edce9b972ff7b40ea1bbf",
  .c2_sig_raw =
      "a22db50e6a98f7727e4a3d0d8ee8c388af1dd3a63afa1d014030ee1f41a660a8",
  .c2_sig = "a22db50e6a98f7727e4a3d0d8ee8c388af1dd3a63afa1d014030ee1f41a660a8",
  .swf_verification = "010100003039000030395aeebd558b0885b21d59aca1b2d7b8b7f541"
                      "7efb9025976a5d3c761ec4cf3896",
  .to_server_sha256 =
      "2cc4d9719088751eb3d5de3fc2522632802705243532927ef1a252f348d42595",
  .to_client_sha256 =
      "7aab62359d9f22b34c8bb463de43361df9ced9f80e8da687fa7b8cbffdd926d9",
};
static const gchar simple_to_server_sha256[] =
    "0ae64d2a50ebe2cfa4a3af84983bd19262bb26d8adf77682f6e1b5f87adcb4ea";
static const gchar simple_to_client_sha256[] =
    "56d8792fae60d0ab5276f556a24c450a257243e3a2989e08f256e72f2d31a471";

/* ---- helpers ----------------------------------------------------------- */

static guint8 *
unhex (const gchar *hex, gsize *len)
{
  gsize n = strlen (hex) / 2;
  guint8 *out = g_malloc (n ? n : 1);

  for (gsize i = 0; i < n; i++)
    out[i] = (g_ascii_xdigit_value (hex[2 * i]) << 4) |
        g_ascii_xdigit_value (hex[2 * i + 1]);
  if (len)
    *len = n;
  return out;
}

static void
assert_hex (const guint8 *data, gsize len, const gchar *hex)
{
  g_autofree gchar *got = g_malloc (2 * len + 1);

  for (gsize i = 0; i < len; i++)
    g_snprintf (got + 2 * i, 3, "%02x", data[i]);
  g_assert_cmpstr (got, ==, hex);
}

static void
assert_sha256 (const guint8 *data, gsize len, const gchar *hex)
{
  g_autofree gchar *got =
      g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);

  g_assert_cmpstr (got, ==, hex);
}

/* The test adapter: the OpenSSL one with a fixed filler and private key,
 * recording the shared secret it computed. */
typedef struct
{
  RtmpCryptoAdapter adapter;
  const RtmpCryptoAdapter *base;
  guint8 filler_xor;
  guint8 *priv;
  gsize priv_len;
  guint8 secret[128];
  gboolean have_secret;
} TestCrypto;

static void
test_random (gpointer user_data, guint8 *buf, gsize len)
{
  TestCrypto *t = user_data;

  for (gsize i = 0; i < len; i++)
    buf[i] = (i & 0xff) ^ t->filler_xor;
}

static RtmpDh *
test_dh_new (gpointer user_data, const guint8 *p, gsize p_len, guint g,
    const guint8 *priv, gsize priv_len, GError **error)
{
  TestCrypto *t = user_data;

  return t->base->dh_new (t->base->user_data, p, p_len, g,
      t->priv ? t->priv : priv, t->priv ? t->priv_len : priv_len, error);
}

static void
test_dh_get_public (gpointer user_data, RtmpDh *dh, guint8 *out)
{
  TestCrypto *t = user_data;

  t->base->dh_get_public (t->base->user_data, dh, out);
}

static gboolean
test_dh_compute (gpointer user_data, RtmpDh *dh, const guint8 *peer,
    gsize peer_len, guint8 *secret, GError **error)
{
  TestCrypto *t = user_data;
  gboolean ok = t->base->dh_compute (
      t->base->user_data, dh, peer, peer_len, secret, error);

  if (ok) {
    memcpy (t->secret, secret, sizeof (t->secret));
    t->have_secret = TRUE;
  }
  return ok;
}

static void
test_dh_free (gpointer user_data, RtmpDh *dh)
{
  TestCrypto *t = user_data;

  t->base->dh_free (t->base->user_data, dh);
}

static gboolean
test_blowfish (gpointer user_data, const guint8 *key, gsize key_len,
    const guint8 *in, guint8 *out)
{
  TestCrypto *t = user_data;

  return t->base->blowfish_encrypt_block (
      t->base->user_data, key, key_len, in, out);
}

static void
test_crypto_init (TestCrypto *t, guint8 filler_xor, const gchar *priv_hex)
{
  memset (t, 0, sizeof (*t));
  t->base = rtmpe_crypto_openssl ();
  t->filler_xor = filler_xor;
  if (priv_hex)
    t->priv = unhex (priv_hex, &t->priv_len);
  t->adapter.user_data = t;
  t->adapter.random = test_random;
  t->adapter.dh_new = test_dh_new;
  t->adapter.dh_get_public = test_dh_get_public;
  t->adapter.dh_compute = test_dh_compute;
  t->adapter.dh_free = test_dh_free;
  t->adapter.blowfish_encrypt_block = test_blowfish;
}

static void
test_crypto_clear (TestCrypto *t)
{
  g_free (t->priv);
}

/* How to cut a byte stream into pushes */
typedef enum
{
  SPLIT_WHOLE,
  SPLIT_ONE_BYTE,
  SPLIT_RANDOM,
} Split;

static gsize
next_chunk (Split split, GRand *rand, gsize left)
{
  switch (split) {
    case SPLIT_WHOLE:
      return left;
    case SPLIT_ONE_BYTE:
      return 1;
    default: {
      gsize n = g_rand_int_range (rand, 1, 2000);

      return MIN (left, n);
    }
  }
}

/* Moves bytes between a client and a server until both are done. Everything
 * each side sent is kept in @to_server / @to_client. @extra is appended to
 * what the client sends right after C2 (the start of the chunk stream): the
 * server must leave it unconsumed. */
static void
run_pair (RtmpHandshake *client, RtmpHandshake *server, Split split,
    guint32 seed, const guint8 *extra, gsize extra_len, GByteArray *to_server,
    GByteArray *to_client, GByteArray *server_leftover)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  gsize sent_to_server = 0, sent_to_client = 0;
  gboolean client_done = FALSE, server_done = FALSE, extra_sent = FALSE;
  g_autoptr (GByteArray) out = g_byte_array_new ();

  g_assert_true (rtmp_handshake_get_initial (client, to_server, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (to_server->len, ==, 1537);

  while (!client_done || !server_done) {
    gboolean progress = FALSE;

    if (sent_to_server < to_server->len && !server_done) {
      gsize n = next_chunk (split, rand, to_server->len - sent_to_server);
      gsize used = 0;
      RtmpHandshakeResult r;

      g_byte_array_set_size (out, 0);
      r = rtmp_handshake_push (
          server, to_server->data + sent_to_server, n, &used, out, &error);
      g_assert_no_error (error);
      g_assert_cmpint (r, !=, RTMP_HANDSHAKE_ERROR);
      g_byte_array_append (to_client, out->data, out->len);
      if (r == RTMP_HANDSHAKE_DONE) {
        server_done = TRUE;
        g_byte_array_append (
            server_leftover, to_server->data + sent_to_server + used, n - used);
      } else {
        g_assert_cmpuint (used, ==, n);
      }
      sent_to_server += n;
      progress = TRUE;
    }

    if (sent_to_client < to_client->len && !client_done) {
      gsize n = next_chunk (split, rand, to_client->len - sent_to_client);
      gsize used = 0;
      RtmpHandshakeResult r;

      g_byte_array_set_size (out, 0);
      r = rtmp_handshake_push (
          client, to_client->data + sent_to_client, n, &used, out, &error);
      g_assert_no_error (error);
      g_assert_cmpint (r, !=, RTMP_HANDSHAKE_ERROR);
      g_byte_array_append (to_server, out->data, out->len);
      if (out->len > 0 && extra_len > 0 && !extra_sent) {
        /* the caller sends its first chunk-stream bytes right after C2 */
        g_byte_array_append (to_server, extra, extra_len);
        extra_sent = TRUE;
      }
      g_assert_cmpuint (used, ==, n); /* the server sends nothing after S2 */
      if (r == RTMP_HANDSHAKE_DONE)
        client_done = TRUE;
      sent_to_client += n;
      progress = TRUE;
    }
    g_assert_true (progress || (client_done && server_done));
  }
  /* whatever followed the chunk that completed the server's handshake */
  g_byte_array_append (server_leftover, to_server->data + sent_to_server,
      to_server->len - sent_to_server);
  g_assert_true (rtmp_handshake_is_done (client));
  g_assert_true (rtmp_handshake_is_done (server));
  /* done: pushes consume nothing more */
  {
    gsize used = 99;
    g_assert_cmpint (rtmp_handshake_push (
                         client, (const guint8 *) "x", 1, &used, out, &error),
        ==, RTMP_HANDSHAKE_DONE);
    g_assert_cmpuint (used, ==, 0);
    g_assert_cmpint (
        rtmp_handshake_push_eof (client, &error), ==, RTMP_HANDSHAKE_DONE);
  }
}

static void
assert_keystream (const guint8 *key, const gchar *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpeRc4) rc4 = rtmpe_rc4_new (key, 16, &error);
  guint8 buf[16] = { 0 };

  g_assert_no_error (error);
  rtmpe_rc4_skip (rc4, RTMP_HANDSHAKE_RC4_DISCARD);
  rtmpe_rc4_process (rc4, buf, buf, sizeof (buf));
  assert_hex (buf, sizeof (buf), expected);
}

static void
assert_wrap (guint8 type, const gchar *key_hex, const gchar *raw_hex,
    const gchar *wrapped_hex)
{
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *key = unhex (key_hex, NULL);
  g_autofree guint8 *sig = unhex (raw_hex, NULL);

  g_assert_true (rtmp_handshake_wrap_signature (
      type, key, sig, rtmpe_crypto_openssl (), &error));
  g_assert_no_error (error);
  assert_hex (sig, 32, wrapped_hex);
}

/* ---- known answers ------------------------------------------------------ */

typedef struct
{
  const Kat *kat;
  guint8 request, answer;
  RtmpHandshakeLayout client_layout, server_layout;
  const gchar *server_priv;
} KatCase;

static void
run_kat (gconstpointer data)
{
  const KatCase *kc = data;
  const Kat *k = kc->kat;
  gboolean enc = kc->request != RTMP_HANDSHAKE_TYPE_PLAIN;
  TestCrypto cc, sc;
  g_autoptr (RtmpHandshake) client = NULL;
  g_autoptr (RtmpHandshake) server = NULL;
  g_autoptr (GByteArray) to_server = g_byte_array_new ();
  g_autoptr (GByteArray) to_client = g_byte_array_new ();
  g_autoptr (GByteArray) leftover = g_byte_array_new ();
  const guint8 *c1, *s1, *s2, *c2;
  guint8 dec[16], enc_key[16];

  test_crypto_init (&cc, 0x00, PRIV_CLIENT);
  test_crypto_init (&sc, 0x5a, kc->server_priv);
  client = rtmp_handshake_new_client (kc->request, TRUE, 1000, &cc.adapter);
  rtmp_handshake_set_layout (client, kc->client_layout);
  server =
      rtmp_handshake_new_server (RTMP_HANDSHAKE_ACCEPT_ALL, 2000, &sc.adapter);
  rtmp_handshake_set_layout (server, kc->server_layout);
  if (kc->answer != kc->request)
    rtmp_handshake_set_rtmpe_answer (server, kc->answer);

  run_pair (
      client, server, SPLIT_WHOLE, 0, NULL, 0, to_server, to_client, leftover);
  g_assert_cmpuint (to_server->len, ==, 1 + 2 * 1536);
  g_assert_cmpuint (to_client->len, ==, 1 + 2 * 1536);
  g_assert_cmpuint (leftover->len, ==, 0);
  assert_sha256 (to_server->data, to_server->len, k->to_server_sha256);
  assert_sha256 (to_client->data, to_client->len, k->to_client_sha256);
  c1 = to_server->data + 1;
  c2 = c1 + 1536;
  s1 = to_client->data + 1;
  s2 = s1 + 1536;
  g_assert_cmpuint (to_server->data[0], ==, kc->request);
  g_assert_cmpuint (to_client->data[0], ==, kc->answer);

  /* offsets and digests */
  g_assert_cmpuint (
      rtmp_handshake_digest_offset (c1, kc->client_layout), ==, k->c_dig_off);
  g_assert_cmpuint (
      rtmp_handshake_digest_offset (s1, kc->server_layout), ==, k->s_dig_off);
  assert_hex (c1 + k->c_dig_off, 32, k->c1_digest);
  assert_hex (s1 + k->s_dig_off, 32, k->s1_digest);

  /* signatures, before and after the wrap */
  assert_hex (s2 + 1504, 32, k->s2_sig);
  assert_hex (c2 + 1504, 32, k->c2_sig);
  assert_wrap (kc->answer, k->s2_key, k->s2_sig_raw, k->s2_sig);
  assert_wrap (kc->answer, k->c2_key, k->c2_sig_raw, k->c2_sig);

  /* what each side found */
  for (guint i = 0; i < 2; i++) {
    RtmpHandshake *hs = i == 0 ? client : server;

    g_assert_cmpuint (rtmp_handshake_get_negotiated_type (hs), ==, kc->answer);
    g_assert_true (rtmp_handshake_get_digest_used (hs));
    g_assert_cmpint (rtmp_handshake_is_encrypted (hs), ==, enc);
  }
  g_assert_cmpint (
      rtmp_handshake_get_local_layout (client), ==, kc->client_layout);
  g_assert_cmpint (
      rtmp_handshake_get_peer_layout (client), ==, kc->server_layout);
  g_assert_cmpint (
      rtmp_handshake_get_local_layout (server), ==, kc->server_layout);
  g_assert_cmpint (
      rtmp_handshake_get_peer_layout (server), ==, kc->client_layout);
  g_assert_cmphex (rtmp_handshake_get_peer_version (client), ==, 0x03050101);
  g_assert_cmpuint (rtmp_handshake_get_peer_time (client), ==, 2000);
  g_assert_cmpuint (rtmp_handshake_get_peer_time (server), ==, 1000);

  if (k->swf_verification) {
    guint8 hash[32], out[42];
    gsize n = sizeof (hash);
    GChecksum *cs = g_checksum_new (G_CHECKSUM_SHA256);

    g_checksum_update (cs, (const guchar *) "swf", 3);
    g_checksum_get_digest (cs, hash, &n);
    g_checksum_free (cs);
    g_assert_true (
        rtmp_handshake_get_swf_verification (client, hash, 12345, out));
    assert_hex (out, sizeof (out), k->swf_verification);
    g_assert_false (
        rtmp_handshake_get_swf_verification (server, hash, 12345, out));
  }

  if (!enc) {
    g_assert_false (rtmp_handshake_get_rc4_keys (client, dec, enc_key));
    goto out;
  }

  g_assert_cmpuint (
      rtmp_handshake_dh_offset (c1, kc->client_layout), ==, k->c_dh_off);
  g_assert_cmpuint (
      rtmp_handshake_dh_offset (s1, kc->server_layout), ==, k->s_dh_off);
  assert_hex (c1 + k->c_dh_off, 128, k->c_pub);
  assert_hex (s1 + k->s_dh_off, 128, k->s_pub);
  g_assert_true (cc.have_secret);
  g_assert_true (sc.have_secret);
  assert_hex (cc.secret, 128, k->secret);
  assert_hex (sc.secret, 128, k->secret);

  /* the client encrypts with K_c2s and decrypts with K_s2c; the server
   * mirrors */
  g_assert_true (rtmp_handshake_get_rc4_keys (client, dec, enc_key));
  assert_hex (enc_key, 16, k->k_c2s);
  assert_hex (dec, 16, k->k_s2c);
  g_assert_true (rtmp_handshake_get_rc4_keys (server, dec, enc_key));
  assert_hex (enc_key, 16, k->k_s2c);
  assert_hex (dec, 16, k->k_c2s);
  assert_keystream (enc_key, k->ks_s2c);
  assert_keystream (dec, k->ks_c2s);

out:
  test_crypto_clear (&cc);
  test_crypto_clear (&sc);
}

static const KatCase kat_cases[] = {
  { &kat_rtmpe06, 6, 6, RTMP_HANDSHAKE_LAYOUT_KEY_FIRST,
      RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST, PRIV_SERVER },
  /* a 06 request answered 08, as librtmp's server does for 128.x clients */
  { &kat_rtmpe08, 6, 8, RTMP_HANDSHAKE_LAYOUT_KEY_FIRST,
      RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST, PRIV_SERVER },
  { &kat_rtmpe09, 9, 9, RTMP_HANDSHAKE_LAYOUT_KEY_FIRST,
      RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST, PRIV_SERVER },
  /* the other layouts, and a shared secret whose top byte is zero */
  { &kat_rtmpe06_zero, 6, 6, RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST,
      RTMP_HANDSHAKE_LAYOUT_KEY_FIRST, PRIV_SERVER_ZERO },
  { &kat_plain_digest, 3, 3, RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST,
      RTMP_HANDSHAKE_LAYOUT_KEY_FIRST, NULL },
};

static void
test_kat_secret_has_zero_top_byte (void)
{
  /* the point of that case: the secret must stay 128 bytes, left-padded */
  g_assert_true (g_str_has_prefix (kat_rtmpe06_zero.secret, "00"));
  /* and the 08/09 cases share the 06 bodies: their raw signatures are 06's */
  g_assert_cmpstr (kat_rtmpe08.s2_sig_raw, ==, kat_rtmpe06.s2_sig);
  g_assert_cmpstr (kat_rtmpe09.c2_sig_raw, ==, kat_rtmpe06.c2_sig);
}

static void
test_kat_simple (void)
{
  TestCrypto cc, sc;
  g_autoptr (RtmpHandshake) client = NULL;
  g_autoptr (RtmpHandshake) server = NULL;
  g_autoptr (GByteArray) to_server = g_byte_array_new ();
  g_autoptr (GByteArray) to_client = g_byte_array_new ();
  g_autoptr (GByteArray) leftover = g_byte_array_new ();

  test_crypto_init (&cc, 0x00, NULL);
  test_crypto_init (&sc, 0x5a, NULL);
  client = rtmp_handshake_new_client (
      RTMP_HANDSHAKE_TYPE_PLAIN, FALSE, 1000, &cc.adapter);
  server = rtmp_handshake_new_server (
      RTMP_HANDSHAKE_ACCEPT_PLAIN, 2000, &sc.adapter);
  run_pair (
      client, server, SPLIT_WHOLE, 0, NULL, 0, to_server, to_client, leftover);
  assert_sha256 (to_server->data, to_server->len, simple_to_server_sha256);
  assert_sha256 (to_client->data, to_client->len, simple_to_client_sha256);
  /* C2 echoes S1, S2 echoes C1 */
  g_assert_cmpmem (to_server->data + 1537, 1536, to_client->data + 1, 1536);
  g_assert_cmpmem (to_client->data + 1537, 1536, to_server->data + 1, 1536);
  g_assert_false (rtmp_handshake_get_digest_used (client));
  g_assert_false (rtmp_handshake_get_digest_used (server));
  g_assert_cmpint (
      rtmp_handshake_get_peer_layout (server), ==, RTMP_HANDSHAKE_LAYOUT_NONE);
  g_assert_cmphex (rtmp_handshake_get_peer_version (client), ==, 0);
  test_crypto_clear (&cc);
  test_crypto_clear (&sc);
}

/* ---- in process, real randomness, streams cut anywhere -------------------- */

typedef struct
{
  guint8 request;
  gboolean digest;
  guint8 answer; /* forced server answer, or 0 */
  guint8 expect;
  Split split;
} PairCase;

static void
run_pair_case (gconstpointer data)
{
  const PairCase *pc = data;
  const RtmpCryptoAdapter *crypto = rtmpe_crypto_openssl ();
  static const guint8 extra[] = "\x03 chunk stream starts here";

  for (guint32 seed = 1; seed <= (pc->split == SPLIT_RANDOM ? 8 : 1); seed++) {
    g_autoptr (RtmpHandshake) client = NULL;
    g_autoptr (RtmpHandshake) server = NULL;
    g_autoptr (GByteArray) to_server = g_byte_array_new ();
    g_autoptr (GByteArray) to_client = g_byte_array_new ();
    g_autoptr (GByteArray) leftover = g_byte_array_new ();
    guint8 cdec[16], cenc[16], sdec[16], senc[16];
    gboolean enc = pc->request != RTMP_HANDSHAKE_TYPE_PLAIN;

    client = rtmp_handshake_new_client (pc->request, pc->digest, seed, crypto);
    server = rtmp_handshake_new_server (RTMP_HANDSHAKE_ACCEPT_ALL, 7, crypto);
    if (pc->answer)
      rtmp_handshake_set_rtmpe_answer (server, pc->answer);
    run_pair (client, server, pc->split, seed, extra, sizeof (extra), to_server,
        to_client, leftover);

    /* the bytes after C2 are the caller's, untouched */
    g_assert_cmpmem (leftover->data, leftover->len, extra, sizeof (extra));
    g_assert_cmpuint (
        rtmp_handshake_get_negotiated_type (client), ==, pc->expect);
    g_assert_cmpuint (
        rtmp_handshake_get_negotiated_type (server), ==, pc->expect);
    g_assert_cmpint (
        rtmp_handshake_get_digest_used (client), ==, pc->digest || enc);
    g_assert_cmpint (
        rtmp_handshake_get_digest_used (server), ==, pc->digest || enc);
    g_assert_cmpint (rtmp_handshake_get_rc4_keys (client, cdec, cenc), ==, enc);
    g_assert_cmpint (rtmp_handshake_get_rc4_keys (server, sdec, senc), ==, enc);
    if (enc) {
      g_autoptr (GError) error = NULL;
      g_autoptr (RtmpeRc4) a = NULL;
      g_autoptr (RtmpeRc4) b = NULL;
      guint8 msg[64];

      g_assert_cmpmem (cenc, 16, sdec, 16);
      g_assert_cmpmem (cdec, 16, senc, 16);
      g_assert_true (memcmp (cenc, cdec, 16) != 0);
      /* a message through both RC4 streams */
      a = rtmpe_rc4_new (cenc, 16, &error);
      b = rtmpe_rc4_new (sdec, 16, &error);
      g_assert_no_error (error);
      rtmpe_rc4_skip (a, RTMP_HANDSHAKE_RC4_DISCARD);
      rtmpe_rc4_skip (b, RTMP_HANDSHAKE_RC4_DISCARD);
      memset (msg, 'm', sizeof (msg));
      rtmpe_rc4_process (a, msg, msg, sizeof (msg));
      rtmpe_rc4_process (b, msg, msg, sizeof (msg));
      for (guint i = 0; i < sizeof (msg); i++)
        g_assert_cmpuint (msg[i], ==, 'm');
    }
  }
}

static const PairCase pair_cases[] = {
  { 3, FALSE, 0, 3, SPLIT_WHOLE },
  { 3, FALSE, 0, 3, SPLIT_ONE_BYTE },
  { 3, FALSE, 0, 3, SPLIT_RANDOM },
  { 3, TRUE, 0, 3, SPLIT_WHOLE },
  { 3, TRUE, 0, 3, SPLIT_ONE_BYTE },
  { 3, TRUE, 0, 3, SPLIT_RANDOM },
  { 6, TRUE, 0, 6, SPLIT_WHOLE },
  { 6, TRUE, 0, 6, SPLIT_ONE_BYTE },
  { 6, TRUE, 0, 6, SPLIT_RANDOM },
  { 8, TRUE, 0, 8, SPLIT_WHOLE },
  { 8, TRUE, 0, 8, SPLIT_RANDOM },
  { 6, TRUE, 8, 8, SPLIT_ONE_BYTE },
  { 6, TRUE, 8, 8, SPLIT_RANDOM },
  { 9, TRUE, 0, 9, SPLIT_WHOLE },
  { 9, TRUE, 0, 9, SPLIT_ONE_BYTE },
  { 9, TRUE, 0, 9, SPLIT_RANDOM },
  { 6, TRUE, 9, 9, SPLIT_RANDOM },
};

/* ---- hostile peers ------------------------------------------------------- */

/* A real C0+C1 from our client, of @type and @layout */
static GByteArray *
make_c0c1 (guint8 type, gboolean digest, RtmpHandshakeLayout layout)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpHandshake) client =
      rtmp_handshake_new_client (type, digest, 0, rtmpe_crypto_openssl ());
  GByteArray *out = g_byte_array_new ();

  if (layout)
    rtmp_handshake_set_layout (client, layout);
  g_assert_true (rtmp_handshake_get_initial (client, out, &error));
  return out;
}

/* Rewrites the digest of a C1/S1 body in place after a change (the
 * formula of fact sheet §4.1) */
static void
resign (guint8 *body, RtmpHandshakeLayout layout, gboolean server)
{
  const gchar *key = server ? "Genuine Adobe Flash Media Server 001" :
                              "Genuine Adobe Flash Player 001";
  guint pos = rtmp_handshake_digest_offset (body, layout);
  GHmac *h = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) key, strlen (key));
  gsize n = 32;

  g_hmac_update (h, body, pos);
  g_hmac_update (h, body + pos + 32, 1536 - pos - 32);
  g_hmac_get_digest (h, body + pos, &n);
  g_hmac_unref (h);
}

static RtmpHandshakeResult
push_all (RtmpHandshake *hs, const guint8 *data, gsize len, GError **error)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  gsize used;

  return rtmp_handshake_push (hs, data, len, &used, out, error);
}

static void
test_server_bad_digest (void)
{
  static const RtmpHandshakeLayout layouts[] = {
    RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST, RTMP_HANDSHAKE_LAYOUT_KEY_FIRST
  };

  for (guint i = 0; i < G_N_ELEMENTS (layouts); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GByteArray) c0c1 = make_c0c1 (6, TRUE, layouts[i]);
    g_autoptr (RtmpHandshake) server = rtmp_handshake_new_server (
        RTMP_HANDSHAKE_ACCEPT_ALL, 0, rtmpe_crypto_openssl ());
    guint pos = rtmp_handshake_digest_offset (c0c1->data + 1, layouts[i]);

    c0c1->data[1 + pos + 5] ^= 0x01;
    g_assert_cmpint (push_all (server, c0c1->data, c0c1->len, &error), ==,
        RTMP_HANDSHAKE_ERROR);
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE);
    g_assert_nonnull (strstr (error->message,
        "client digest does not verify in either "
        "layout"));
    /* and it stays failed */
    g_clear_error (&error);
    g_assert_cmpint (
        push_all (server, c0c1->data, 1, &error), ==, RTMP_HANDSHAKE_ERROR);
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE);
  }
}

/* Plain RTMP: a bad digest gets a simple handshake (as nginx-rtmp does) */
static void
test_server_plain_bad_digest_falls_back (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) c0c1 =
      make_c0c1 (3, TRUE, RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST);
  g_autoptr (RtmpHandshake) server = rtmp_handshake_new_server (
      RTMP_HANDSHAKE_ACCEPT_ALL, 0, rtmpe_crypto_openssl ());
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint pos = rtmp_handshake_digest_offset (
      c0c1->data + 1, RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST);
  gsize used;

  c0c1->data[1 + pos] ^= 0xff;
  g_assert_cmpint (
      rtmp_handshake_push (server, c0c1->data, c0c1->len, &used, out, &error),
      ==, RTMP_HANDSHAKE_NEED_MORE);
  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 1 + 2 * 1536);
  g_assert_cmphex (out->data[0], ==, 3);
  g_assert_cmphex (out->data[5], ==, 0); /* S1 version 0 */
  g_assert_cmpmem (out->data + 1537, 1536, c0c1->data + 1, 1536);
  g_assert_false (rtmp_handshake_get_digest_used (server));
}

static void
check_bad_key (const guint8 *key128, const gchar *what)
{
  static const RtmpHandshakeLayout layouts[] = {
    RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST, RTMP_HANDSHAKE_LAYOUT_KEY_FIRST
  };

  for (guint i = 0; i < G_N_ELEMENTS (layouts); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GByteArray) c0c1 = make_c0c1 (6, TRUE, layouts[i]);
    g_autoptr (RtmpHandshake) server = rtmp_handshake_new_server (
        RTMP_HANDSHAKE_ACCEPT_ANY_RTMPE, 0, rtmpe_crypto_openssl ());
    guint8 *c1 = c0c1->data + 1;

    memcpy (c1 + rtmp_handshake_dh_offset (c1, layouts[i]), key128, 128);
    resign (c1, layouts[i], FALSE);
    g_assert_cmpint (push_all (server, c0c1->data, c0c1->len, &error), ==,
        RTMP_HANDSHAKE_ERROR);
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_CRYPTO);
    g_test_message ("%s: %s", what, error->message);
    g_assert_true (g_str_has_prefix (error->message, "client's DH public key"));
  }
}

static void
test_server_bad_dh_key (void)
{
  const guint8 *p;
  gsize p_len;
  guint8 key[128];

  g_assert_true (rtmp_dh_group_get (2, &p, &p_len));
  g_assert_cmpuint (p_len, ==, 128);

  memset (key, 0, sizeof (key));
  check_bad_key (key, "0");
  key[127] = 1;
  check_bad_key (key, "1");
  memcpy (key, p, 128);
  key[127] -= 1;
  check_bad_key (key, "p-1");
  key[127] -= 1;
  check_bad_key (key, "p-2 (not in the subgroup)");
  memcpy (key, p, 128);
  check_bad_key (key, "p");
  memset (key, 0xff, sizeof (key));
  check_bad_key (key, "2^1024-1");
  memset (key, 0, sizeof (key));
  key[127] = 5; /* 5 is not a square mod p (checked with Python): outside */
  check_bad_key (key, "5");
}

/* Our client against a fake server whose S1 carries a bad DH key */
static void
test_client_bad_dh_key (void)
{
  const guint8 *p;
  gsize p_len;
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpHandshake) client = rtmp_handshake_new_client (
      RTMP_HANDSHAKE_TYPE_RTMPE, TRUE, 0, rtmpe_crypto_openssl ());
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint8 s0s1[1537];
  guint8 *s1 = s0s1 + 1;

  g_assert_true (rtmp_dh_group_get (2, &p, &p_len));
  g_assert_true (rtmp_handshake_get_initial (client, out, &error));
  s0s1[0] = 6;
  for (guint i = 0; i < 1536; i++)
    s1[i] = i * 7;
  s1[4] = 3;
  memcpy (s1 + rtmp_handshake_dh_offset (s1, RTMP_HANDSHAKE_LAYOUT_KEY_FIRST),
      p, 128);
  s1[rtmp_handshake_dh_offset (s1, RTMP_HANDSHAKE_LAYOUT_KEY_FIRST) + 127] -=
      2; /* p-2 */
  resign (s1, RTMP_HANDSHAKE_LAYOUT_KEY_FIRST, TRUE);
  g_assert_cmpint (
      push_all (client, s0s1, sizeof (s0s1), &error), ==, RTMP_HANDSHAKE_ERROR);
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_CRYPTO);
  g_assert_true (g_str_has_prefix (error->message, "server's DH public key"));
  g_assert_nonnull (strstr (error->message, "subgroup"));
}

static void
test_server_truncated (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) c0c1 = make_c0c1 (6, TRUE, 0);
  g_autoptr (RtmpHandshake) server = rtmp_handshake_new_server (
      RTMP_HANDSHAKE_ACCEPT_ALL, 0, rtmpe_crypto_openssl ());

  g_assert_cmpint (push_all (server, c0c1->data, 1000, &error), ==,
      RTMP_HANDSHAKE_NEED_MORE);
  g_assert_no_error (error);
  g_assert_cmpint (
      rtmp_handshake_push_eof (server, &error), ==, RTMP_HANDSHAKE_ERROR);
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED);
  g_assert_cmpstr (error->message, ==,
      "client closed the connection after 1000 of the 1537 bytes of C0+C1");
}

static void
test_client_truncated_s2 (void)
{
  g_autoptr (GError) error = NULL;
  const RtmpCryptoAdapter *crypto = rtmpe_crypto_openssl ();
  g_autoptr (RtmpHandshake) client =
      rtmp_handshake_new_client (RTMP_HANDSHAKE_TYPE_PLAIN, TRUE, 0, crypto);
  g_autoptr (RtmpHandshake) server =
      rtmp_handshake_new_server (RTMP_HANDSHAKE_ACCEPT_ALL, 0, crypto);
  g_autoptr (GByteArray) c = g_byte_array_new ();
  g_autoptr (GByteArray) s = g_byte_array_new ();
  gsize used;

  g_assert_true (rtmp_handshake_get_initial (client, c, &error));
  rtmp_handshake_push (server, c->data, c->len, &used, s, &error);
  g_assert_no_error (error);
  g_assert_cmpint (push_all (client, s->data, s->len - 10, &error), ==,
      RTMP_HANDSHAKE_NEED_MORE);
  g_assert_cmpint (
      rtmp_handshake_push_eof (client, &error), ==, RTMP_HANDSHAKE_ERROR);
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED);
  g_assert_cmpstr (error->message, ==,
      "server closed the connection after 1526 of the 1536 bytes of S2");
}

/* A server that closes instead of answering an RTMPE C0: nginx-rtmp on
 * any, rtmpsrv on 09 */
static void
test_client_closed_before_s0 (void)
{
  static const struct
  {
    RtmpHandshakeType type;
    const gchar *message;
  } cases[] = {
    { RTMP_HANDSHAKE_TYPE_RTMPE,
        "the server closed the connection instead of answering the RTMPE "
        "handshake (type 0x06): it does not speak RTMPE" },
    { RTMP_HANDSHAKE_TYPE_RTMPE_BLOWFISH,
        "the server closed the connection instead of answering the RTMPE "
        "handshake (type 0x09): it does not speak RTMPE, or not this type "
        "(librtmp's servers take only 06 and 08)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (RtmpHandshake) client = rtmp_handshake_new_client (
        cases[i].type, TRUE, 0, rtmpe_crypto_openssl ());
    g_autoptr (GByteArray) out = g_byte_array_new ();

    g_assert_true (rtmp_handshake_get_initial (client, out, &error));
    g_assert_cmpint (
        rtmp_handshake_push_eof (client, &error), ==, RTMP_HANDSHAKE_ERROR);
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE);
    g_assert_cmpstr (error->message, ==, cases[i].message);
  }
}

/* A server that answers an RTMPE request with plain RTMP is refused: no
 * silent downgrade (librtmp goes on in clear) */
static void
test_client_refuses_downgrade (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpHandshake) client = rtmp_handshake_new_client (
      RTMP_HANDSHAKE_TYPE_RTMPE, TRUE, 0, rtmpe_crypto_openssl ());
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint8 s0s1[1537] = { 3 };

  g_assert_true (rtmp_handshake_get_initial (client, out, &error));
  g_assert_cmpint (
      push_all (client, s0s1, sizeof (s0s1), &error), ==, RTMP_HANDSHAKE_ERROR);
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE);
  g_assert_cmpstr (
      error->message, ==, "server does not speak RTMPE (answered type 3)");
}

/* S0 = 06 but a simple S1 (version 0, no digest) */
static void
test_client_refuses_simple_s1 (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpHandshake) client = rtmp_handshake_new_client (
      RTMP_HANDSHAKE_TYPE_RTMPE, TRUE, 0, rtmpe_crypto_openssl ());
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint8 s0s1[1537] = { 6 };

  g_assert_true (rtmp_handshake_get_initial (client, out, &error));
  g_assert_cmpint (
      push_all (client, s0s1, sizeof (s0s1), &error), ==, RTMP_HANDSHAKE_ERROR);
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE);
  g_assert_nonnull (strstr (error->message, "does not verify in either"));
  g_assert_nonnull (strstr (error->message, "simple handshake"));
}

/* A plain client accepts a simple answer to its digest C1 */
static void
test_client_plain_accepts_simple (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpHandshake) client = rtmp_handshake_new_client (
      RTMP_HANDSHAKE_TYPE_PLAIN, TRUE, 0, rtmpe_crypto_openssl ());
  g_autoptr (GByteArray) c0c1 = g_byte_array_new ();
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint8 s[1 + 2 * 1536 + 5];
  gsize used;

  g_assert_true (rtmp_handshake_get_initial (client, c0c1, &error));
  memcpy (s + 1 + 2 * 1536, "after", 5); /* not ours: left unconsumed */
  s[0] = 3;
  for (guint i = 1; i < 1537; i++)
    s[i] = i * 13;
  memset (s + 5, 0, 4);
  memcpy (s + 1537, c0c1->data + 1, 1536); /* S2 = C1 */
  g_assert_cmpint (
      rtmp_handshake_push (client, s, sizeof (s), &used, out, &error), ==,
      RTMP_HANDSHAKE_DONE);
  g_assert_no_error (error);
  g_assert_cmpuint (used, ==, 1 + 2 * 1536);
  g_assert_false (rtmp_handshake_get_digest_used (client));
  g_assert_cmpmem (out->data, out->len, s + 1, 1536); /* C2 = S1 */
}

static void
test_client_plain_refuses_rtmpe_answer (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpHandshake) client = rtmp_handshake_new_client (
      RTMP_HANDSHAKE_TYPE_PLAIN, FALSE, 0, rtmpe_crypto_openssl ());
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint8 s0 = 6;

  g_assert_true (rtmp_handshake_get_initial (client, out, &error));
  g_assert_cmpint (push_all (client, &s0, 1, &error), ==, RTMP_HANDSHAKE_ERROR);
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE);
}

static void
test_server_requires_rtmpe (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpHandshake) server = rtmp_handshake_new_server (
      RTMP_HANDSHAKE_ACCEPT_ANY_RTMPE, 0, rtmpe_crypto_openssl ());
  guint8 c0 = 3;

  /* refused at the first byte, before C1 */
  g_assert_cmpint (push_all (server, &c0, 1, &error), ==, RTMP_HANDSHAKE_ERROR);
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE);
  g_assert_cmpstr (error->message, ==,
      "plain RTMP (C0 type 3) refused: this server requires RTMPE");
}

static void
test_server_refuses_types (void)
{
  static const guint8 bad[] = { 0, 1, 2, 4, 5, 7, 10, 'G', 0xff };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (RtmpHandshake) server = rtmp_handshake_new_server (
        RTMP_HANDSHAKE_ACCEPT_ALL, 0, rtmpe_crypto_openssl ());

    g_assert_cmpint (
        push_all (server, &bad[i], 1, &error), ==, RTMP_HANDSHAKE_ERROR);
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE);
    g_assert_true (g_str_has_prefix (error->message, "unknown handshake type"));
  }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (RtmpHandshake) server =
        rtmp_handshake_new_server (RTMP_HANDSHAKE_ACCEPT_PLAIN |
                RTMP_HANDSHAKE_ACCEPT_RTMPE | RTMP_HANDSHAKE_ACCEPT_RTMPE_XTEA,
            0, rtmpe_crypto_openssl ());
    guint8 c0 = 9;

    g_assert_cmpint (
        push_all (server, &c0, 1, &error), ==, RTMP_HANDSHAKE_ERROR);
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE);
    g_assert_cmpstr (
        error->message, ==, "RTMPE type 9 refused: not enabled on this server");
  }
}

/* C2/S2 checks: a bad signature fails RTMPE; an S1 echo as C2 (FFmpeg's
 * publisher) is accepted */
static void
test_bad_c2_s2 (void)
{
  const RtmpCryptoAdapter *crypto = rtmpe_crypto_openssl ();

  for (guint mode = 0; mode < 3; mode++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (RtmpHandshake) client =
        rtmp_handshake_new_client (RTMP_HANDSHAKE_TYPE_RTMPE, TRUE, 0, crypto);
    g_autoptr (RtmpHandshake) server =
        rtmp_handshake_new_server (RTMP_HANDSHAKE_ACCEPT_ALL, 0, crypto);
    g_autoptr (GByteArray) c = g_byte_array_new ();
    g_autoptr (GByteArray) s = g_byte_array_new ();
    g_autoptr (GByteArray) c2 = g_byte_array_new ();
    gsize used;
    RtmpHandshakeResult r;

    g_assert_true (rtmp_handshake_get_initial (client, c, &error));
    rtmp_handshake_push (server, c->data, c->len, &used, s, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (s->len, ==, 1 + 2 * 1536);

    if (mode == 0) {
      /* corrupt S2's signature: the client refuses it */
      s->data[s->len - 1] ^= 1;
      r = rtmp_handshake_push (client, s->data, s->len, &used, c2, &error);
      g_assert_cmpint (r, ==, RTMP_HANDSHAKE_ERROR);
      g_assert_error (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE);
      g_assert_cmpstr (error->message, ==,
          "server's S2 signature does not verify (RTMPE type 6)");
      continue;
    }
    r = rtmp_handshake_push (client, s->data, s->len, &used, c2, &error);
    g_assert_cmpint (r, ==, RTMP_HANDSHAKE_DONE);
    g_assert_cmpuint (c2->len, ==, 1536);
    if (mode == 1) {
      c2->data[100] ^= 1;
      r = rtmp_handshake_push (server, c2->data, c2->len, &used, s, &error);
      g_assert_cmpint (r, ==, RTMP_HANDSHAKE_ERROR);
      g_assert_error (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE);
      g_assert_cmpstr (error->message, ==,
          "client's C2 signature does not verify (RTMPE type 6)");
    } else {
      r = rtmp_handshake_push (server, s->data + 1, 1536, &used, c2, &error);
      g_assert_no_error (error);
      g_assert_cmpint (r, ==, RTMP_HANDSHAKE_DONE);
    }
  }
}

static void
test_getters_before_start (void)
{
  g_autoptr (RtmpHandshake) client = rtmp_handshake_new_client (
      RTMP_HANDSHAKE_TYPE_RTMPE, TRUE, 0, rtmpe_crypto_openssl ());
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  guint8 a[16], b[16];
  gsize used;

  g_assert_false (rtmp_handshake_is_done (client));
  g_assert_cmpuint (rtmp_handshake_get_negotiated_type (client), ==, 0);
  g_assert_false (rtmp_handshake_get_rc4_keys (client, a, b));
  g_assert_cmpint (
      rtmp_handshake_push (client, (const guint8 *) "x", 1, &used, out, &error),
      ==, RTMP_HANDSHAKE_ERROR);
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  if (!rtmpe_crypto_legacy_available (&error)) {
    g_test_message ("%s", error->message);
    return 77;
  }

  for (guint i = 0; i < G_N_ELEMENTS (kat_cases); i++) {
    static const gchar *names[] = { "06", "08-upgraded", "09", "06-zero-secret",
      "plain-digest" };
    g_autofree gchar *path = g_strdup_printf ("/handshake/kat/%s", names[i]);

    g_test_add_data_func (path, &kat_cases[i], run_kat);
  }
  g_test_add_func ("/handshake/kat/facts", test_kat_secret_has_zero_top_byte);
  g_test_add_func ("/handshake/kat/simple", test_kat_simple);
  for (guint i = 0; i < G_N_ELEMENTS (pair_cases); i++) {
    static const gchar *splits[] = { "whole", "1-byte", "random" };
    const PairCase *pc = &pair_cases[i];
    g_autofree gchar *path = g_strdup_printf ("/handshake/pair/%02x%s%s/%s",
        pc->request,
        pc->request == 3 ? (pc->digest ? "-digest" : "-simple") : "",
        pc->answer ? (pc->answer == 8 ? "-answered-08" : "-answered-09") : "",
        splits[pc->split]);

    g_test_add_data_func (path, pc, run_pair_case);
  }
  g_test_add_func ("/handshake/server/bad-digest", test_server_bad_digest);
  g_test_add_func ("/handshake/server/plain-bad-digest-falls-back",
      test_server_plain_bad_digest_falls_back);
  g_test_add_func ("/handshake/server/bad-dh-key", test_server_bad_dh_key);
  g_test_add_func ("/handshake/server/truncated-c1", test_server_truncated);
  g_test_add_func (
      "/handshake/server/requires-rtmpe", test_server_requires_rtmpe);
  g_test_add_func (
      "/handshake/server/refused-types", test_server_refuses_types);
  g_test_add_func ("/handshake/client/bad-dh-key", test_client_bad_dh_key);
  g_test_add_func ("/handshake/client/truncated-s2", test_client_truncated_s2);
  g_test_add_func (
      "/handshake/client/refuses-downgrade", test_client_refuses_downgrade);
  g_test_add_func (
      "/handshake/client/closed-before-s0", test_client_closed_before_s0);
  g_test_add_func (
      "/handshake/client/refuses-simple-s1", test_client_refuses_simple_s1);
  g_test_add_func ("/handshake/client/plain-accepts-simple",
      test_client_plain_accepts_simple);
  g_test_add_func ("/handshake/client/plain-refuses-rtmpe-answer",
      test_client_plain_refuses_rtmpe_answer);
  g_test_add_func ("/handshake/bad-c2-s2", test_bad_c2_s2);
  g_test_add_func (
      "/handshake/getters-before-start", test_getters_before_start);

  return g_test_run ();
}
