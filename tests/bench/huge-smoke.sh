#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fastpath-bench-huge-smoke: Benchmark 1's smoke run with the EAL on hugepages (-H), as a
# gateway on real NIC hardware runs, where every other test runs --no-huge. It reserves 2 MB
# pages for the run (the bench asks the EAL for 2,048 MB: -m 2048) and gives back what it took,
# and mounts hugetlbfs in a mount namespace of its own: this machine mounts none.
#
# Usage: huge-smoke.sh FASTPATH_BENCH. Root; skipped (77) when the kernel cannot give the pages.
set -eu
bench=$1
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: root is needed to reserve hugepages"
	exit 77
fi
need=1040
old=$(cat /proc/sys/vm/nr_hugepages)
restore() { echo "$old" > /proc/sys/vm/nr_hugepages; }
trap restore EXIT
if [ "$old" -lt "$need" ]; then
	echo "$need" > /proc/sys/vm/nr_hugepages || true
fi
free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
if [ "$free" -lt 1024 ]; then
	echo "SKIP: the kernel gave $free free 2 MB pages, 1,024 are needed"
	exit 77
fi
mnt=$(mktemp -d /tmp/ponte-huge.XXXXXX)
trap 'restore; rmdir "$mnt"' EXIT
# The EAL fails at start, and so the bench, when the pages are not there. Every packet must
# have gone through the fast path: the bench marks a row WRONG otherwise.
rc=0
unshare -m sh -c "mount -t hugetlbfs nodev '$mnt' && exec '$bench' -H -n 3000 -r 1 -f 200 -l 0" \
	> "$mnt.log" 2>&1 || rc=$?
cat "$mnt.log"
rows=$(grep -c '^impl=ipsec-mb .* fast=' "$mnt.log" || true)
wrong=$(grep -c 'WRONG' "$mnt.log" || true)
rm -f "$mnt.log"
if [ "$rc" != 0 ] || [ "$rows" -lt 12 ] || [ "$wrong" != 0 ]; then
	echo "FAIL: exit $rc, $rows fast-path rows (12 expected), $wrong marked WRONG"
	exit 1
fi
echo "ok: 12 cases on hugepages, every packet through the fast path"
