/* fuzz_moddep: a guest kernel's modules.dep (src/host/images/vm_image.c), from
 * which the initramfs gets its modules in load order.
 *
 * The bytes are parsed, then the load order of the virtio modules a VM
 * needs (and of the file's first and last module) is worked out into one
 * list, as ib_vm_image_get does.
 *
 * Oracles: no module path is absolute or has a "." or ".." component (it
 * would leave the modules directory); the order lists each module once
 * and every module after all it needs, also when working it out failed
 * part way (a dependency not listed, a cycle); an error has a message. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "images/vm_image.h"

static int bad_path(const char *p)
{
	if (!*p || *p == '/')
		return 1;
	for (const char *c = p; *c;) {
		size_t n = strcspn(c, "/");

		if ((n == 1 && c[0] == '.') || (n == 2 && !strncmp(c, "..", 2)))
			return 1;
		c += n;
		c += *c == '/';
	}
	return 0;
}

static void check_order(const struct ib_moddep *m, const struct ib_strv *order)
{
	for (int k = 0; k < order->n; k++) {
		int i = ib_moddep_find(m, order->v[k]);
		char *list, *save = NULL;

		if (ib_strv_find(order, order->v[k]) != k)
			fuzz_fail("%s is in the order twice", order->v[k]);
		if (i < 0 || strcmp(m->paths.v[i], order->v[k]))
			fuzz_fail("%s is in the order, not in the file", order->v[k]);
		list = ib_xstrdup(m->deps.v[i]);
		for (char *w = strtok_r(list, " \t\r", &save); w;
		     w = strtok_r(NULL, " \t\r", &save)) {
			int j = ib_moddep_find(m, w), at;

			if (j < 0)
				fuzz_fail("%s is in the order, its dependency %s "
					  "is not in the file", order->v[k], w);
			at = ib_strv_find(order, m->paths.v[j]);
			if (at < 0 || at >= k)
				fuzz_fail("%s comes before %s, which it needs",
					  order->v[k], m->paths.v[j]);
		}
		free(list);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"virtio_mmio", "virtio_pci",
					    "virtio_blk", "virtio_net",
					    "virtio_console", "vsock"};
	struct ib_moddep m;
	struct ib_strv order = {0};
	int n = ib_moddep_parse((const char *)data, size, &m);

	if (n != m.paths.n || m.paths.n != m.deps.n)
		fuzz_fail("%d modules, %d paths, %d dependency lists", n,
			  m.paths.n, m.deps.n);
	for (int i = 0; i < m.paths.n; i++)
		if (bad_path(m.paths.v[i]))
			fuzz_fail("a module path that leaves the directory: %s",
				  m.paths.v[i]);
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]) + 2; k++) {
		struct ib_err err = {0};
		int i = k < 6 ? ib_moddep_find(&m, names[k])
			: k == 6 ? (m.paths.n ? 0 : -1) : m.paths.n - 1;

		if (i < 0)
			continue;
		if (ib_moddep_order(&m, i, &order, &err) < 0 && !err.msg[0])
			fuzz_fail("an order refused without a message");
		check_order(&m, &order);
	}
	ib_strv_free(&order);
	ib_moddep_free(&m);
	return 0;
}
