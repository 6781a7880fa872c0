#!/bin/sh
# Makes the certificate files the import tests read, as users make them
# with OpenSSL 3. The keys are throw-away test keys. Run from this
# directory; the tests need no OpenSSL.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pw=test-password
# Valid from 2000 to 2100, so the files suit a test run at any date.
cat > "$tmp/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
database = $tmp/index.txt
new_certs_dir = $tmp
serial = $tmp/serial
default_md = sha256
policy = any
[any]
commonName = supplied
CNF
: > "$tmp/index.txt"
echo 07 > "$tmp/serial"
sign() { openssl ca -batch -notext -config "$tmp/ca.cnf" -startdate 20000101000000Z -enddate 21000101000000Z "$@" 2>/dev/null; }
openssl req -newkey rsa:2048 -nodes -keyout "$tmp/ca.key" -out "$tmp/ca.csr" -subj "/CN=credwatch test CA" 2>/dev/null
sign -selfsign -keyfile "$tmp/ca.key" -in "$tmp/ca.csr" -out "$tmp/ca.pem"
openssl req -newkey rsa:2048 -nodes -keyout "$tmp/leaf.key" -out "$tmp/leaf.csr" -subj "/CN=credwatch import test" 2>/dev/null
sign -cert "$tmp/ca.pem" -keyfile "$tmp/ca.key" -in "$tmp/leaf.csr" -out "$tmp/leaf.pem"
cp "$tmp/leaf.pem" leaf.crt
# OpenSSL 3 defaults: PBES2 (PBKDF2 HMAC-SHA256, AES-256-CBC), MAC SHA-256;
# the CA certificate rides along, before the leaf.
openssl pkcs12 -export -inkey "$tmp/leaf.key" -in "$tmp/leaf.pem" -certfile "$tmp/ca.pem" -passout pass:$pw -out aes256.pfx
# -legacy: certificates under RC2-40, the key under 3DES, MAC SHA-1
# (OpenSSL 1.1's defaults).
openssl pkcs12 -export -legacy -inkey "$tmp/leaf.key" -in "$tmp/leaf.pem" -passout pass:$pw -out legacy.pfx
# Windows' TripleDES-SHA1 export.
openssl pkcs12 -export -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 -inkey "$tmp/leaf.key" -in "$tmp/leaf.pem" -passout pass:$pw -out 3des.pfx
# No password at all.
openssl pkcs12 -export -inkey "$tmp/leaf.key" -in "$tmp/leaf.pem" -passout pass: -out nopassword.pfx
# Nothing encrypted, no MAC.
openssl pkcs12 -export -keypbe NONE -certpbe NONE -nomac -inkey "$tmp/leaf.key" -in "$tmp/leaf.pem" -passout pass: -out plain.pfx
# PEM as openssl pkcs12 -nodes writes it: "Bag Attributes" before each block.
openssl pkcs12 -in aes256.pfx -nodes -passin pass:$pw -out bag-attributes.pem
# A PKCS#1 key ("RSA PRIVATE KEY"), which Key Vault does not import as is.
{ openssl rsa -in "$tmp/leaf.key" -traditional 2>/dev/null; cat "$tmp/leaf.pem"; } > pkcs1.pem
# An encrypted PKCS#8 key, which credwatch refuses with a way out.
{ openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$tmp/leaf.key" -passout pass:$pw; cat "$tmp/leaf.pem"; } > encrypted.pem
