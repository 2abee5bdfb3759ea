/* SPDX-License-Identifier: ISC */
/* The state file: round trip, and damage recognised, never half-read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "xenvif/state_file.h"
#include "xenvif/vm_table.h"

static char dir[] = "/tmp/xv-state-test-XXXXXX";
static char path[256];

static void make_table(struct xv_vif_table *t)
{
	struct xv_vif_row *r;
	struct xv_counters last = {{11, 22, 0, 0, 33, 44, 0, 0}};

	xv_vif_table_init(t);
	xv_vif_table_add(t, 12345, "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11/0", &r);
	for (int i = 0; i < XV_NCOUNTERS; i++)
		r->total.v[i] = 1000 * (uint64_t)(i + 1);
	r->total.v[XV_IN_OCTETS] = 18446744073709551000ULL;
	r->discontinuity = 77;
	xv_vif_row_add_source(r, 10, false, "vif3.0", &last);
	xv_vif_row_add_source(r, 11, true, "vif3.0-emu", &last);
	xv_vif_table_add(t, 7, "name:my vm 100%/1", &r);
	r->total.v[XV_OUT_OCTETS] = 5;
}

/* CRC-32 (IEEE), as the state file's end line carries it. */
static uint32_t crc32_of(const char *s)
{
	uint32_t crc = 0xffffffffU;

	for (; *s; s++) {
		crc ^= (unsigned char)*s;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & (0U - (crc & 1)));
	}
	return ~crc;
}

static char *slurp(size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = malloc(65536);

	*len = fread(buf, 1, 65535, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void spit(const char *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	fwrite(buf, 1, len, f);
	fclose(f);
}

static struct xv_vm_table vms_back;

static int load(struct xv_vif_table *t, const char *boot, char *err, size_t errlen)
{
	struct xv_state_info info;

	xv_vif_table_init(t);
	xv_vm_table_free(&vms_back);
	xv_vm_table_init(&vms_back);
	return xv_state_load(path, t, &vms_back, NULL, boot, &info, err, errlen);
}

static void make_vms(struct xv_vm_table *vms)
{
	struct xv_vm *vm;

	xv_vm_table_init(vms);
	xv_vm_table_add(vms, 99, "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11", &vm);
	vm->period_start = 1793491200;
	vm->period_end = 1796083200;
	vm->period_in = 18446744073709551000ULL;
	vm->period_out = 42;
	vm->announced = XV_QUOTA_EXCEEDED;
	xv_id_set_add(&vm->quota_devices, 11);
	xv_id_set_add(&vm->quota_devices, 10);
	xv_id_set_add(&vm->rate_devices, 10);
	vm->name = strdup("web 1");
	vm->rate[XV_RATE_OUT].alarm = true;
	xv_vm_table_add(vms, 5, "name:quiet one", &vm);
	xv_vm_table_queue(vms, XV_NOTICE_QUOTA_EXCEEDED, 99);
	xv_vm_table_queue(vms, XV_NOTICE_RATE_ALARM, 5);
}

int main(void)
{
	struct xv_vif_table t, back;
	struct xv_state_info info = {.boot_id = "boot-a", .saved = 1700000000,
				     .uptime_origin = 1699999000123LL};
	char err[512], expect[512];
	size_t len;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/state", dir);
	struct xv_vm_table vms;
	make_table(&t);
	make_vms(&vms);
	tap_is_u64(xv_state_save(path, &t, &vms, NULL, &info, err, sizeof err), 0, "saved");

	struct xv_state_info got;
	struct xv_vm_table vms2;
	xv_vif_table_init(&back);
	xv_vm_table_init(&vms2);
	tap_is_u64(xv_state_load(path, &back, &vms2, NULL, "boot-a", &got, err, sizeof err), 0,
		   "loaded");
	struct xv_vm *vm = xv_vm_table_find_index(&vms2, 99);
	tap_ok(vm && vm->period_start == 1793491200 && vm->period_end == 1796083200 &&
		       vm->period_in == 18446744073709551000ULL && vm->period_out == 42,
	       "a VM's period and usage");
	tap_ok(vm && vm->announced == XV_QUOTA_EXCEEDED &&
		       vm->quota_devices.n == 2 && vm->quota_devices.v[0] == 10 &&
		       vm->quota_devices.v[1] == 11 && vm->rate_devices.n == 1 &&
		       vm->rate_devices.v[0] == 10 &&
		       vm->rate[XV_RATE_OUT].alarm && !vm->rate[XV_RATE_IN].alarm,
	       "what was announced, and with which devices");
	tap_ok(vm && strcmp(vm->name, "web 1") == 0 &&
		       strcmp(vm->uuid, "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11") == 0,
	       "its name and UUID, for when it is stopped");
	vm = xv_vm_table_find_key(&vms2, "name:quiet one");
	tap_ok(vm && vm->entry.index == 5 && vm->announced == XV_QUOTA_NONE &&
		       vm->quota_devices.n == 0 && strcmp(vm->name, "") == 0,
	       "a VM with nothing announced and a key with a space");
	tap_ok(vms2.nnotices == 2 && vms2.notices[0].kind == XV_NOTICE_QUOTA_EXCEEDED &&
		       vms2.notices[0].vm_index == 99 && vms2.notices[1].vm_index == 5,
	       "notices not yet sent, in order");
	xv_vm_table_free(&vms2);
	tap_is_u64(back.rows.n, 2, "two rows");
	struct xv_vif_row *r = xv_vif_table_find_index(&back, 12345);
	tap_ok(r && strcmp(r->entry.key, "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11/0") == 0,
	       "index and key");
	tap_is_u64(r ? r->total.v[XV_IN_OCTETS] : 0, 18446744073709551000ULL,
		   "64-bit counters exact");
	tap_is_u64(r ? r->discontinuity : 0, 77, "discontinuity time");
	tap_is_u64(r ? r->nsources : 0, 2, "sources of the same boot kept");
	tap_ok(r && r->sources[1].emu && r->sources[1].ifindex == 11 &&
		       strcmp(r->sources[1].name, "vif3.0-emu") == 0 &&
		       r->sources[1].last.v[XV_OUT_PKTS] == 44,
	       "source fields");
	r = xv_vif_table_find_key(&back, "name:my vm 100%/1");
	tap_ok(r && r->entry.index == 7 && r->total.v[XV_OUT_OCTETS] == 5,
	       "a key with spaces and %% survives");
	tap_is_u64(got.uptime_origin, 1699999000123LL, "uptime origin");
	tap_is_str(got.boot_id, "boot-a", "boot id");
	xv_vif_table_free(&back);

	tap_is_u64(load(&back, "boot-b", err, sizeof err), 0, "loaded after a reboot");
	r = xv_vif_table_find_index(&back, 12345);
	tap_ok(r && r->nsources == 0 && r->total.v[XV_IN_OCTETS] == 18446744073709551000ULL,
	       "another boot: counters kept, devices dropped");
	xv_vif_table_free(&back);

	tap_is_u64(load(&back, "", err, sizeof err), 0, "loaded with no boot id");
	r = xv_vif_table_find_index(&back, 12345);
	tap_is_u64(r ? r->nsources : 0, 2,
		   "unknown boot: devices kept (dropping them would count twice)");
	xv_vif_table_free(&back);

	char *good = slurp(&len);
	spit(good, len - 20);
	tap_ok(load(&back, "boot-a", err, sizeof err) == -EINVAL, "truncated file refused");
	snprintf(expect, sizeof expect, "%s:13: truncated line", path);
	tap_is_str(err, expect, "error names file and line");
	tap_is_u64(back.rows.n, 0, "nothing half-loaded");

	char *cut = strstr(good, "source 11");
	spit(good, (size_t)(cut - good));
	tap_ok(load(&back, "boot-a", err, sizeof err) == -EINVAL, "file cut at a line end refused");
	snprintf(expect, sizeof expect, "%s:8: no end line: file truncated", path);
	tap_is_str(err, expect, "said so");

	char *flip = strdup(good);
	strstr(flip, "vif3.0 ")[3] = '4'; /* still well-formed */
	spit(flip, len);
	tap_ok(load(&back, "boot-a", err, sizeof err) == -EINVAL, "changed byte refused");
	snprintf(expect, sizeof expect,
		 "%s:13: checksum or row count does not match: file damaged", path);
	tap_is_str(err, expect, "by the checksum");
	tap_is_u64(back.rows.n, 0, "table left empty");

	spit("garbage\n", 8);
	tap_ok(load(&back, "boot-a", err, sizeof err) == -EINVAL, "not a state file");
	snprintf(expect, sizeof expect, "%s:1: expected a header field and one value", path);
	tap_is_str(err, expect, "said so");

	spit(good, len);
	char aside[512];
	tap_is_u64(xv_state_set_aside(path, aside, sizeof aside), 0, "set aside");
	tap_ok(access(path, F_OK) != 0 && access(aside, F_OK) == 0 &&
		       strncmp(aside, path, strlen(path)) == 0 &&
		       strstr(aside, ".damaged-") != NULL,
	       "renamed beside it, kept");
	tap_ok(load(&back, "boot-a", err, sizeof err) == -ENOENT, "then no file");
	unlink(aside);

	/* Format 1 files (before VM records) still load. */
	{
		const char *body = "xen-vif-agent-state 1\nboot-id b\nsaved 1\n"
				   "uptime-origin 0\nrow 7 k/0 0 1 2 3 4 5 6 7 8\n";
		char v1[256];

		snprintf(v1, sizeof v1, "%send 1 %08x\n", body, crc32_of(body));
		spit(v1, strlen(v1));
		tap_is_u64(load(&back, "b", err, sizeof err), 0, "a format 1 file loads");
		r = xv_vif_table_find_index(&back, 7);
		tap_ok(r && r->total.v[XV_OUT_ERRORS] == 8 && vms_back.vms.n == 0,
		       "its rows, and no VMs");
		xv_vif_table_free(&back);
	}
	/* Format 4 files (the devices' eight counters, no classifier split)
	 * still load, the split from zero; sixteen there are refused. */
	{
		const char *body = "xen-vif-agent-state 4\nboot-id b\nsaved 1\n"
				   "uptime-origin 0\nrow 7 k/0 0 1 2 3 4 5 6 7 8\n"
				   "source 3 0 vif1.0 10 20 0 0 30 40 0 0\n";
		char v4[512];

		snprintf(v4, sizeof v4, "%send 1 0 0 0 %08x\n", body, crc32_of(body));
		spit(v4, strlen(v4));
		tap_is_u64(load(&back, "b", err, sizeof err), 0, "a format 4 file loads");
		r = xv_vif_table_find_index(&back, 7);
		tap_ok(r && r->total.v[XV_OUT_ERRORS] == 8 &&
		       r->total.v[XV_OUT_FOREIGN_OCTETS] == 0 &&
		       r->total.v[XV_IN_MCAST_PKTS] == 0 && r->nsources == 1 &&
		       r->sources[0].last.v[XV_OUT_PKTS] == 40 &&
		       r->sources[0].last.v[XV_OUT_FOREIGN_PKTS] == 0,
		       "its counters, the split from zero");
		tap_ok(r && r->total.v[XV_IN_UCAST_PKTS] == 2 && r->total.v[XV_OUT_UCAST_PKTS] == 6,
		       "unicast from the packets, as IF-MIB served them before");
		xv_vif_table_free(&back);

		body = "xen-vif-agent-state 4\nboot-id b\nsaved 1\n"
		       "uptime-origin 0\nrow 7 k/0 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n";
		snprintf(v4, sizeof v4, "%send 1 0 0 0 %08x\n", body, crc32_of(body));
		spit(v4, strlen(v4));
		tap_ok(load(&back, "b", err, sizeof err) == -EINVAL,
		       "a format 4 row with the split is refused");
		snprintf(expect, sizeof expect, "%s:5: row: bad counters", path);
		tap_is_str(err, expect, "said so, with the line");
		xv_vif_table_free(&back);
	}
	/* Load then save gives the same file: what was saved is all there
	 * is, and a loaded file can be written back. */
	{
		size_t first_len, second_len;
		char *first, *second;
		struct xv_vif_table again;
		struct xv_vm_table vms3;

		xv_state_save(path, &t, &vms, NULL, &info, err, sizeof err);
		first = slurp(&first_len);
		xv_vif_table_init(&again);
		xv_vm_table_init(&vms3);
		tap_is_u64(xv_state_load(path, &again, &vms3, NULL, "boot-a", &got, err,
					 sizeof err), 0, "round trip: loaded");
		got.saved = info.saved;
		tap_is_u64(xv_state_save(path, &again, &vms3, NULL, &got, err, sizeof err),
			   0, "and saved again");
		second = slurp(&second_len);
		tap_ok(first_len == second_len && memcmp(first, second, first_len) == 0,
		       "byte for byte the same file");
		free(first);
		free(second);
		xv_vif_table_free(&again);
		xv_vm_table_free(&vms3);
	}
	/* The same from memory: what xv_state_save writes, xv_state_write
	 * writes to a stream; a stream loads as the file does. */
	{
		size_t file_len, mem_len = 0;
		char *file, *mem = NULL;
		FILE *f = open_memstream(&mem, &mem_len);
		struct xv_vif_table again;
		struct xv_vm_table vms3;

		xv_state_save(path, &t, &vms, NULL, &info, err, sizeof err);
		file = slurp(&file_len);
		tap_is_u64(xv_state_write(f, "memory", &t, &vms, NULL, &info, err,
					  sizeof err), 0, "written to a stream");
		fclose(f);
		tap_is_mem(mem, mem_len, file, file_len, "the bytes of the file");
		xv_vif_table_init(&again);
		xv_vm_table_init(&vms3);
		f = fmemopen(mem, mem_len, "r");
		tap_is_u64(xv_state_load_stream(f, "memory", &again, &vms3, NULL,
						"boot-a", &got, err, sizeof err), 0,
			   "loaded from memory");
		fclose(f);
		tap_ok(again.rows.n == 2 && vms3.vms.n == 2 && vms3.nnotices == 2,
		       "its rows, VMs and notices");
		xv_vif_table_free(&again);
		xv_vm_table_free(&vms3);
		mem[mem_len - 2] ^= 1; /* the checksum's last digit */
		xv_vif_table_init(&again);
		xv_vm_table_init(&vms3);
		f = fmemopen(mem, mem_len, "r");
		tap_ok(xv_state_load_stream(f, "memory", &again, &vms3, NULL, "boot-a",
					    &got, err, sizeof err) == -EINVAL &&
		       again.rows.n == 0, "damage in memory refused too");
		fclose(f);
		tap_is_str(err, "memory:13: checksum or row count does not match: "
			   "file damaged", "named as the caller says");
		free(file);
		free(mem);
	}
	/* A file the agent did not write: a VM name that escapes to more
	 * than the writer gives it (the line itself is under the limit). */
	{
		char body[2048], file[2200], name[1300] = ":";

		for (int i = 0; i < 400; i++)
			strcat(name, "%20");
		snprintf(body, sizeof body, "xen-vif-agent-state 4\nboot-id b\nsaved 1\n"
			 "uptime-origin 0\nvm 5 k 0 0 0 0 1 0 0 : : %s 0 0 0\n", name);
		snprintf(file, sizeof file, "%send 0 1 0 0 %08x\n", body, crc32_of(body));
		spit(file, strlen(file));
		tap_ok(load(&back, "b", err, sizeof err) == -EINVAL,
		       "a record the agent could not write back is refused");
		snprintf(expect, sizeof expect, "%s: a record does not fit in what the "
			 "agent writes (a field or line too long)", path);
		tap_is_str(err, expect, "and said why, instead of failing every save");
		tap_is_u64(vms_back.vms.n, 0, "nothing half-loaded");
	}
	/* A notice names its VM by index: 2^32 + 5 is no VM's, not VM 5's. */
	{
		const char *body = "xen-vif-agent-state 4\nboot-id b\nsaved 1\n"
				   "uptime-origin 0\nvm 5 k 0 0 0 0 1 0 0 : : : 0 0 0\n"
				   "notice 1 4294967301\n";
		char file[512];

		snprintf(file, sizeof file, "%send 0 1 1 0 %08x\n", body, crc32_of(body));
		spit(file, strlen(file));
		tap_ok(load(&back, "b", err, sizeof err) == -EINVAL,
		       "a notice for an index past 2^31 - 1 is refused");
		snprintf(expect, sizeof expect, "%s:6: notice: bad kind or VM", path);
		tap_is_str(err, expect, "said so");
	}
	chmod(dir, 0500);
	if (geteuid() != 0) {
		tap_ok(xv_state_save(path, &t, &vms, NULL, &info, err, sizeof err) < 0,
		       "unwritable directory is an error");
	}
	chmod(dir, 0700);
	unlink(path);
	rmdir(dir);
	free(good);
	free(flip);
	xv_vm_table_free(&vms);
	xv_vm_table_free(&vms_back);
	xv_vif_table_free(&t);
	return tap_done();
}
