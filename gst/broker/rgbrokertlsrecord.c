/* gst-rg
 * Copyright (C) 2026 gst-rg contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Sealing TLS 1.3 application-data records (RFC 8446 section 5.2; the
 * interface is rgbrokertlsrecord.h). OpenSSL 3.0 copies every record's
 * clear text into its own buffer before it encrypts it there, and hands
 * the result on to be copied again; with no kernel TLS that was 8% of the
 * CPU of rg-bench-tls's TLS runs. This file seals from the caller's memory into
 * the caller's buffer instead. OpenSSL still runs the handshake, reads,
 * and gives us the keys; the cipher is OpenSSL's AEAD (EVP).
 *
 * A record on the wire:
 *
 *   header (5)      23 (application_data), 3 3 (legacy version), length
 *                   of what follows (16 bits, big-endian)
 *   encrypted       the clear text, then its real content type (23, or
 *                   22 for a KeyUpdate); no padding
 *   tag (16)        the AEAD tag over that, with the header as
 *                   additional data
 *
 * The nonce of record number n (counted from 0 under each key) is the
 * 12-byte write IV with n, as a 64-bit big-endian number, XORed into its
 * last 8 bytes. A number must never be used twice under one key: the
 * caller starts us at the number OpenSSL stopped at, and OpenSSL never
 * writes under this key again (rgbrokertls.c).
 *
 * Key and IV come from the traffic secret with HKDF-Expand-Label
 * (section 7.1): HKDF-Expand (secret, info, length), where info is the
 * length (16 bits), the label "tls13 key" or "tls13 iv" with a length
 * byte, and an empty context (one 0 byte). A KeyUpdate (section 4.6.3) is
 * the handshake message 24, length 1, update_not_requested (0), sealed
 * with the old key; the next secret is HKDF-Expand-Label (secret,
 * "traffic upd", "", hash length).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokertlsrecord.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <string.h>

#define TLS_IV_LEN 12
#define TLS_TAG_LEN 16
#define TLS_MAX_SECRET 48
#define CONTENT_HANDSHAKE 22
#define CONTENT_APPLICATION 23
#define HANDSHAKE_KEY_UPDATE 24

/* RFC 8446 section 5.5 allows AES-GCM 2^24.5 full records per key; 2^24
 * keeps a margin (256 GiB of 16 KiB records). ChaCha20-Poly1305 has no
 * practical limit; one rule for both is simpler. */
static guint64 records_per_key = G_GUINT64_CONSTANT (1) << 24;

struct _RgTlsRecordWriter
{
  EVP_CIPHER_CTX *ctx;
  const gchar *digest;
  guint8 secret[TLS_MAX_SECRET];
  gsize secret_len, key_len;
  guint8 iv[TLS_IV_LEN];
  guint64 seq;
  gboolean update_requested;
};

void
rg_tls_record_set_records_per_key (guint64 records)
{
  records_per_key = MAX (records, 1);
}

/* HKDF-Expand-Label (secret, "tls13 " @label, "", @len) into @out. */
static gboolean
expand_label (RgTlsRecordWriter * w, const gchar * label, guint8 * out,
    gsize len)
{
  EVP_KDF *kdf = EVP_KDF_fetch (NULL, "HKDF", NULL);
  EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new (kdf) : NULL;
  guint8 info[2 + 1 + 255 + 1];
  gsize label_len = strlen (label), n = 0;
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[5];
  gboolean ok;

  info[n++] = len >> 8;
  info[n++] = len & 0xff;
  info[n++] = 6 + label_len;
  memcpy (info + n, "tls13 ", 6);
  memcpy (info + n + 6, label, label_len);
  n += 6 + label_len;
  info[n++] = 0;
  params[0] = OSSL_PARAM_construct_int (OSSL_KDF_PARAM_MODE, &mode);
  params[1] = OSSL_PARAM_construct_utf8_string (OSSL_KDF_PARAM_DIGEST,
      (gchar *) w->digest, 0);
  params[2] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_KEY,
      w->secret, w->secret_len);
  params[3] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_INFO, info,
      n);
  params[4] = OSSL_PARAM_construct_end ();
  ok = kctx && EVP_KDF_derive (kctx, out, len, params) == 1;
  EVP_KDF_CTX_free (kctx);
  EVP_KDF_free (kdf);
  return ok;
}

/* Derives key and IV from the current secret into the cipher. */
static gboolean
install_keys (RgTlsRecordWriter * w)
{
  guint8 key[32];
  gboolean ok;

  ok = expand_label (w, "key", key, w->key_len)
      && expand_label (w, "iv", w->iv, TLS_IV_LEN)
      && EVP_EncryptInit_ex (w->ctx, NULL, NULL, key, NULL) == 1;
  OPENSSL_cleanse (key, sizeof (key));
  return ok;
}

RgTlsRecordWriter *
rg_tls_record_writer_new (guint suite, const guint8 * secret,
    gsize secret_len, guint64 seq)
{
  const EVP_CIPHER *cipher;
  RgTlsRecordWriter *w;
  const gchar *digest = "SHA256";
  gsize key_len = 16, hash_len = 32;

  switch (suite) {
    case 0x1301:
      cipher = EVP_aes_128_gcm ();
      break;
    case 0x1302:
      cipher = EVP_aes_256_gcm ();
      digest = "SHA384";
      key_len = 32;
      hash_len = 48;
      break;
    case 0x1303:
      cipher = EVP_chacha20_poly1305 ();
      key_len = 32;
      break;
    default:
      return NULL;
  }
  if (secret_len != hash_len)
    return NULL;
  w = g_new0 (RgTlsRecordWriter, 1);
  w->digest = digest;
  w->key_len = key_len;
  w->secret_len = secret_len;
  memcpy (w->secret, secret, secret_len);
  w->seq = seq;
  w->ctx = EVP_CIPHER_CTX_new ();
  if (!w->ctx || EVP_EncryptInit_ex (w->ctx, cipher, NULL, NULL, NULL) != 1
      || EVP_CIPHER_CTX_ctrl (w->ctx, EVP_CTRL_AEAD_SET_IVLEN, TLS_IV_LEN,
          NULL) != 1 || !install_keys (w)) {
    rg_tls_record_writer_free (w);
    return NULL;
  }
  return w;
}

void
rg_tls_record_writer_free (RgTlsRecordWriter * w)
{
  if (!w)
    return;
  EVP_CIPHER_CTX_free (w->ctx);
  OPENSSL_cleanse (w, sizeof (*w));
  g_free (w);
}

/* Starts sealing a record of @inner_len encrypted bytes (clear text and
 * content type): its nonce, header and additional data. */
static gboolean
record_start (RgTlsRecordWriter * w, gsize inner_len, guint8 * header)
{
  guint8 nonce[TLS_IV_LEN];
  gsize length = inner_len + TLS_TAG_LEN;
  int n, i;

  memcpy (nonce, w->iv, TLS_IV_LEN);
  for (i = 0; i < 8; i++)
    nonce[TLS_IV_LEN - 1 - i] ^= (w->seq >> (8 * i)) & 0xff;
  w->seq++;
  header[0] = CONTENT_APPLICATION;
  header[1] = 3;
  header[2] = 3;
  header[3] = length >> 8;
  header[4] = length & 0xff;
  return EVP_EncryptInit_ex (w->ctx, NULL, NULL, NULL, nonce) == 1
      && EVP_EncryptUpdate (w->ctx, NULL, &n, header,
      RG_TLS_RECORD_HEADER) == 1;
}

gboolean
rg_tls_record_begin (RgTlsRecordWriter * w, gsize len, guint8 * header)
{
  return record_start (w, len + 1, header);
}

gboolean
rg_tls_record_add (RgTlsRecordWriter * w, const guint8 * in, gsize len,
    guint8 * out)
{
  int n;

  /* EVP takes an int: a record's clear text is far below it. */
  g_return_val_if_fail (len <= G_MAXINT, FALSE);
  return EVP_EncryptUpdate (w->ctx, out, &n, in, len) == 1
      && (gsize) n == len;
}

/* Seals the content type @type and writes the tag after it. */
static gboolean
record_finish (RgTlsRecordWriter * w, guint8 type, guint8 * out)
{
  int n, m = 0;

  return EVP_EncryptUpdate (w->ctx, out, &n, &type, 1) == 1 && n == 1
      && EVP_EncryptFinal_ex (w->ctx, out + 1, &m) == 1 && m == 0
      && EVP_CIPHER_CTX_ctrl (w->ctx, EVP_CTRL_AEAD_GET_TAG, TLS_TAG_LEN,
      out + 1) == 1;
}

gboolean
rg_tls_record_end (RgTlsRecordWriter * w, guint8 * out)
{
  return record_finish (w, CONTENT_APPLICATION, out);
}

gboolean
rg_tls_record_wants_key_update (RgTlsRecordWriter * w)
{
  return w->update_requested || w->seq >= records_per_key;
}

void
rg_tls_record_request_key_update (RgTlsRecordWriter * w)
{
  w->update_requested = TRUE;
}

gboolean
rg_tls_record_key_update (RgTlsRecordWriter * w, guint8 * out)
{
  /* KeyUpdate, 1 byte long: update_not_requested. */
  const guint8 message[5] = { HANDSHAKE_KEY_UPDATE, 0, 0, 1, 0 };
  guint8 *body = out + RG_TLS_RECORD_HEADER;
  guint8 next[TLS_MAX_SECRET];
  gboolean ok;

  ok = record_start (w, sizeof (message) + 1, out)
      && rg_tls_record_add (w, message, sizeof (message), body)
      && record_finish (w, CONTENT_HANDSHAKE, body + sizeof (message))
      && expand_label (w, "traffic upd", next, w->secret_len);
  if (!ok)
    return FALSE;
  memcpy (w->secret, next, w->secret_len);
  OPENSSL_cleanse (next, sizeof (next));
  w->seq = 0;
  w->update_requested = FALSE;
  return install_keys (w);
}
