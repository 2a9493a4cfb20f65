// Reference figure for bench/parse.ts: the same work done by libfdt in C. Loads every .dtb under a folder,
// checks each with fdt_check_header, then times 10 rounds of a full walk that visits every node and every
// property (name and value pointer), and prints one JSON line in bench/parse.ts's format (best of 10).
// Build: cc -O2 -o libfdt-walk libfdt-walk.c -lfdt   (Debian: libfdt-dev)
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 10
#define MAX_BLOBS 4096

static void *blobs[MAX_BLOBS];
static size_t count, total_bytes;

static int add_blob(const char *path, const struct stat *st, int type, struct FTW *ftw) {
	(void)ftw;
	size_t len = strlen(path);
	if (type != FTW_F || len < 4 || strcmp(path + len - 4, ".dtb") != 0 || count == MAX_BLOBS) return 0;
	FILE *f = fopen(path, "rb");
	void *buf = f ? malloc(st->st_size) : NULL;
	if (!buf || fread(buf, 1, st->st_size, f) != (size_t)st->st_size || fdt_check_header(buf) != 0) {
		fprintf(stderr, "skipping %s\n", path);
		free(buf);
	} else {
		blobs[count++] = buf;
		total_bytes += st->st_size;
	}
	if (f) fclose(f);
	return 0;
}

static unsigned long long walk(const void *fdt, unsigned long long *nodes, unsigned long long *props) {
	unsigned long long checksum = 0;
	int depth = 0;
	for (int node = 0; node >= 0 && depth >= 0; node = fdt_next_node(fdt, node, &depth)) {
		int prop;
		(*nodes)++;
		fdt_for_each_property_offset(prop, fdt, node) {
			const char *name;
			int len;
			const void *value = fdt_getprop_by_offset(fdt, prop, &name, &len);
			(*props)++;
			checksum += strlen(name) + (value ? (unsigned)len : 0);
		}
	}
	return checksum;
}

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: %s <dir-with-dtbs>\n", argv[0]);
		return 2;
	}
	nftw(argv[1], add_blob, 16, FTW_PHYS);
	double best = 1e9;
	unsigned long long nodes = 0, props = 0, checksum = 0;
	for (int round = 0; round < ROUNDS; round++) {
		struct timespec a, b;
		nodes = props = 0;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (size_t i = 0; i < count; i++) checksum += walk(blobs[i], &nodes, &props);
		clock_gettime(CLOCK_MONOTONIC, &b);
		double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
		if (s < best) best = s;
	}
	fprintf(stderr, "checksum %llu\n", checksum);
	printf("{\"blobs\":%zu,\"bytes\":%zu,\"nodes\":%llu,\"props\":%llu,\"best_s\":%.6f,\"mb_per_s\":%.1f}\n", count, total_bytes, nodes,
	       props, best, total_bytes / best / 1e6);
	return 0;
}
