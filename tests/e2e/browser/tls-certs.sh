#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Test certificates for SIP over TLS (tls.mjs), made fresh for each run with openssl, into
# DIR (created, mode 0700). Nothing here is ever committed: the keys live and die with the run.
#
#   tls-certs.sh DIR [ADDR [PHONE_ADDR]]
#                               ADDR: the gateway's address (127.0.0.1); PHONE_ADDR: the
#                               phones' (ADDR), where they are elsewhere (the DPDK lab)
#
#   ca.pem, ca.key        the test root CA ("Ponte test root"): what everybody trusts
#   int.pem, int.key      an intermediate CA under it
#   gateway.pem           the gateway's chain: its certificate (from the intermediate), then
#                         the intermediate, so a peer that trusts only the root needs the
#                         gateway to send the chain
#   gateway.key           its key, apart (sip.tls_key)
#   phone.pem             a phone's certificate and key in one file (baresip's
#                         sip_certificate), from the root, for PHONE_ADDR
#   Both certificates name their address A as CN and as subjectAltNames IP:A (what most TLS
#   clients check), URI:sip:A (RFC 5922's SIP domain identity: the one sofia-sip checks, since
#   it reads DNS and URI subjectAltNames but not IP ones, and the CN only without those) and
#   DNS:localhost.
#   rogue.pem, rogue.key  a self-signed certificate for PHONE_ADDR (the rogue server runs
#                         beside the phones) that nobody trusts
#
# ECDSA P-256 everywhere, valid for two days.
set -euo pipefail

dir=${1:?usage: tls-certs.sh DIR [ADDR [PHONE_ADDR]]}
addr=${2:-127.0.0.1}
phone_addr=${3:-$addr}
days=2

mkdir -p -m 700 "$dir"
cd "$dir"
umask 077

key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# sign NAME ISSUER SUBJECT EXTENSIONS: NAME.csr from NAME.key, signed into NAME.pem.
sign() {
	local name=$1 issuer=$2 subject=$3 ext=$4
	openssl req -new -key "$name.key" -subj "$subject" -out "$name.csr" 2>/dev/null
	printf '%s\n' "$ext" >"$name.ext"
	openssl x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" \
		-CAcreateserial -days "$days" -sha256 -extfile "$name.ext" \
		-out "$name.pem" 2>/dev/null
	rm -f "$name.csr" "$name.ext"
}

key ca.key
openssl req -x509 -new -key ca.key -subj "/CN=Ponte test root" -days "$days" -sha256 \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" \
	-out ca.pem 2>/dev/null

key int.key
sign int ca "/CN=Ponte test intermediate" \
	"basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign"

# leaf_ext A: a leaf's extensions for address A.
leaf_ext() {
	printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=serverAuth,clientAuth" \
		"subjectAltName=IP:$1,URI:sip:$1,DNS:localhost"
}

key gateway.key
sign gateway int "/CN=$addr" "$(leaf_ext "$addr")"
cat int.pem >>gateway.pem

key phone.key
sign phone ca "/CN=$phone_addr" "$(leaf_ext "$phone_addr")"
cat phone.pem phone.key >phone-bundle.pem
mv phone-bundle.pem phone.pem
rm -f phone.key

key rogue.key
openssl req -x509 -new -key rogue.key -subj "/CN=$phone_addr" -days "$days" -sha256 \
	-addext "subjectAltName=IP:$phone_addr" -out rogue.pem 2>/dev/null
rm -f ./*.srl

# The files a test uses are all there and say what they should.
openssl verify -CAfile ca.pem -untrusted int.pem gateway.pem >/dev/null
openssl verify -CAfile ca.pem phone.pem >/dev/null
