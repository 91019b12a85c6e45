#!/bin/sh
# make_certs.sh DIR - the certificates the TLS tests use, made with
# `openssl req` / `x509` / `ca` into DIR:
#   ca.pem              the trusted CA (ECDSA P-256)
#   a.pem a.key         server a.example, ECDSA P-256, from ca
#   b.pem b.key         server b.example, RSA-2048, from ca
#   client.pem .key     a client (CN client), from ca
#   other-ca.pem        a CA no service trusts
#   foreign.pem .key    a client from other-ca
#   expired.pem .key    a.example, valid 2000-2001
#   future.pem .key     a.example, valid from 2090
#   locked.key          a.key under a pass phrase ("secret")
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
rsa_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

# ca NAME CN: a self-signed CA
ca() {
	ec_key "$1.key"
	openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 30 \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign \
		-out "$1.pem" 2>/dev/null
}

# leaf NAME CN CA EXT: a certificate for NAME.key signed by CA
leaf() {
	openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
	printf '%s\n' "$4" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" \
		-CAcreateserial -days 30 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
	rm -f "$1.csr" "$1.ext"
}

ca ca "modserv test CA"
ca other-ca "another CA"
ec_key a.key
leaf a a.example ca "subjectAltName=DNS:a.example"
rsa_key b.key
leaf b b.example ca "subjectAltName=DNS:b.example"
ec_key client.key
leaf client client ca "extendedKeyUsage=clientAuth"
ec_key foreign.key
leaf foreign foreign other-ca "extendedKeyUsage=clientAuth"

# dated NAME START END: a.example valid only from START to END (openssl ca
# is what sets both dates)
dated() {
	ec_key "$1.key"
	openssl req -new -key "$1.key" -subj "/CN=a.example" -out "$1.csr" 2>/dev/null
	mkdir -p ca.db
	: >ca.db/index
	cat >ca.db/ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = ca.db/index
new_certs_dir = ca.db
serial = ca.db/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
CNF
	echo 1000 >ca.db/serial
	openssl ca -batch -config ca.db/ca.cnf -cert ca.pem -keyfile ca.key \
		-startdate "$2" -enddate "$3" -notext -in "$1.csr" \
		-out "$1.pem" 2>/dev/null
	rm -rf "$1.csr" ca.db
}
openssl pkey -in a.key -aes256 -passout pass:secret -out locked.key 2>/dev/null
dated expired 20000101000000Z 20010101000000Z
dated future 20900101000000Z 20910101000000Z
