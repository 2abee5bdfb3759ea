/* The one binary search: where a key is or would go, among equals the
 * first, and what it finds. */
#include "tap.h"
#include "xenvif/search.h"

static int order(const void *key, const void *item)
{
	return xv_order_u32(*(const unsigned int *)key, *(const unsigned int *)item);
}

int main(void)
{
	static const unsigned int v[] = {2, 4, 4, 4, 9};
	unsigned int k;

	k = 4;
	tap_is_u64(xv_lower_bound(v, 0, sizeof *v, &k, order), 0, "empty: 0");
	tap_is_u64(xv_lower_bound(v, 5, sizeof *v, &k, order), 1,
		   "among equals, the first");
	k = 1;
	tap_is_u64(xv_lower_bound(v, 5, sizeof *v, &k, order), 0, "before all: 0");
	k = 10;
	tap_is_u64(xv_lower_bound(v, 5, sizeof *v, &k, order), 5, "after all: n");
	k = 5;
	tap_is_u64(xv_lower_bound(v, 5, sizeof *v, &k, order), 4, "between: where it goes");
	tap_ok(xv_find_sorted(v, 5, sizeof *v, &k, order) == NULL, "and is not found");
	k = 9;
	tap_ok(xv_find_sorted(v, 5, sizeof *v, &k, order) == &v[4], "the last found");
	k = 2;
	tap_ok(xv_find_sorted(v, 1, sizeof *v, &k, order) == &v[0], "one item found");
	tap_ok(xv_find_sorted(v, 0, sizeof *v, &k, order) == NULL, "none in nothing");
	tap_is_u64((unsigned)(xv_order_u32(0, 4294967295U) + 1), 0, "orders the whole "
		   "range, no overflow");
	return tap_done();
}
