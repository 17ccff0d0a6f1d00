/*
 * check.c - the overlap index and payload patterns (see check.h).
 *
 * The tree is a textbook AVL tree (Adelson-Velsky and Landis 1962; Knuth,
 * TAOCP vol. 3, 6.2.3), recursive because its height is at most 1.44 log2 n,
 * about 45 levels for the largest trace that fits in 32-bit slots.
 */
#include "check.h"

#include "bulk.h"

#include <errno.h>
#include <string.h>

int check_index_init(struct check_index *ix, uint32_t nslots)
{
	memset(ix, 0, sizeof *ix);
	ix->root = CHECK_NIL;
	ix->nslots = nslots;
	/* bulk_alloc(0) is NULL: keep one spare entry so an empty trace works too. */
	ix->blocks = bulk_alloc(((size_t)nslots + 1) * sizeof *ix->blocks);
	if (!ix->blocks)
		return ENOMEM;
	/* bulk memory is zero: state SLOT_EMPTY; links are set on insert. */
	return 0;
}

void check_index_free(struct check_index *ix)
{
	bulk_free(ix->blocks, ((size_t)ix->nslots + 1) * sizeof *ix->blocks);
	ix->blocks = NULL;
}

static uint64_t extent(uint64_t size) { return size ? size : 1; }

static int height(const struct check_index *ix, uint32_t n)
{
	return n == CHECK_NIL ? 0 : ix->blocks[n].height;
}

static void update(struct check_index *ix, uint32_t n)
{
	int l = height(ix, ix->blocks[n].left), r = height(ix, ix->blocks[n].right);
	ix->blocks[n].height = (int8_t)(1 + (l > r ? l : r));
}

static uint32_t rotate_right(struct check_index *ix, uint32_t n)
{
	uint32_t l = ix->blocks[n].left;
	ix->blocks[n].left = ix->blocks[l].right;
	ix->blocks[l].right = n;
	update(ix, n);
	update(ix, l);
	return l;
}

static uint32_t rotate_left(struct check_index *ix, uint32_t n)
{
	uint32_t r = ix->blocks[n].right;
	ix->blocks[n].right = ix->blocks[r].left;
	ix->blocks[r].left = n;
	update(ix, n);
	update(ix, r);
	return r;
}

static uint32_t rebalance(struct check_index *ix, uint32_t n)
{
	struct check_block *b = &ix->blocks[n];
	int balance = height(ix, b->left) - height(ix, b->right);

	if (balance > 1) {
		uint32_t l = b->left;
		if (height(ix, ix->blocks[l].left) < height(ix, ix->blocks[l].right))
			b->left = rotate_left(ix, l);
		return rotate_right(ix, n);
	}
	if (balance < -1) {
		uint32_t r = b->right;
		if (height(ix, ix->blocks[r].right) < height(ix, ix->blocks[r].left))
			b->right = rotate_right(ix, r);
		return rotate_left(ix, n);
	}
	update(ix, n);
	return n;
}

/* Order by address; equal addresses (only after a reported overlap) by slot. */
static int before(const struct check_index *ix, uint32_t a, uint32_t b)
{
	uintptr_t x = ix->blocks[a].addr, y = ix->blocks[b].addr;
	return x < y || (x == y && a < b);
}

static uint32_t insert_at(struct check_index *ix, uint32_t n, uint32_t slot)
{
	if (n == CHECK_NIL)
		return slot;
	uint32_t *link = before(ix, slot, n) ? &ix->blocks[n].left : &ix->blocks[n].right;
	int was = height(ix, *link);
	*link = insert_at(ix, *link, slot);
	/* A subtree that kept its height leaves every node above it as it was. */
	return height(ix, *link) == was ? n : rebalance(ix, n);
}

void check_index_insert(struct check_index *ix, uint32_t slot, uintptr_t addr, uint64_t size)
{
	struct check_block *b = &ix->blocks[slot];
	b->addr = addr;
	b->size = size;
	b->left = b->right = CHECK_NIL;
	b->height = 1;
	b->state = SLOT_LIVE;
	ix->root = insert_at(ix, ix->root, slot);
	ix->live++;
}

/* Deepest an AVL tree of 2^32 nodes can be: 1.44 log2(2^32 + 2) < 47. */
#define CHECK_MAX_DEPTH 48

uint32_t check_index_add(struct check_index *ix, uint32_t slot, uintptr_t addr, uint64_t size)
{
	uint32_t path[CHECK_MAX_DEPTH];  /* nodes from the root down              */
	uint8_t  right[CHECK_MAX_DEPTH]; /* the way taken below each of them      */
	uint32_t pred = CHECK_NIL, succ = CHECK_NIL, n = ix->root;
	unsigned depth = 0;

	/* One descent finds the neighbours (as check_index_overlap) and the leaf. */
	while (n != CHECK_NIL) {
		int go_right = ix->blocks[n].addr <= addr;
		if (go_right)
			pred = n;
		else
			succ = n;
		path[depth] = n;
		right[depth++] = (uint8_t)go_right;
		n = go_right ? ix->blocks[n].right : ix->blocks[n].left;
	}
	if (pred != CHECK_NIL && addr - ix->blocks[pred].addr < extent(ix->blocks[pred].size))
		return pred;
	if (succ != CHECK_NIL && ix->blocks[succ].addr - addr < extent(size))
		return succ;

	/*
	 * Disjoint from every live block, so no live block starts at addr and
	 * "addr >= node's addr: go right" is the order before() keeps.
	 */
	struct check_block *b = &ix->blocks[slot];
	b->addr = addr;
	b->size = size;
	b->left = b->right = CHECK_NIL;
	b->height = 1;
	b->state = SLOT_LIVE;
	ix->live++;
	uint32_t sub = slot;  /* the subtree that changed, below path[depth - 1] */
	while (depth > 0) {
		uint32_t up = path[--depth];
		if (right[depth])
			ix->blocks[up].right = sub;
		else
			ix->blocks[up].left = sub;
		int was = ix->blocks[up].height;
		uint32_t top = rebalance(ix, up);
		if (top != up) {
			/* a rotation after an insert restores the subtree's height */
			if (depth == 0)
				ix->root = top;
			else if (right[depth - 1])
				ix->blocks[path[depth - 1]].right = top;
			else
				ix->blocks[path[depth - 1]].left = top;
			return CHECK_NIL;
		}
		if (ix->blocks[up].height == was)
			return CHECK_NIL;  /* nothing above changes */
		sub = up;
	}
	ix->root = sub;
	return CHECK_NIL;
}

/* Detach the lowest node of subtree n into *min; returns the new subtree. */
static uint32_t remove_min(struct check_index *ix, uint32_t n, uint32_t *min)
{
	if (ix->blocks[n].left == CHECK_NIL) {
		*min = n;
		return ix->blocks[n].right;
	}
	ix->blocks[n].left = remove_min(ix, ix->blocks[n].left, min);
	return rebalance(ix, n);
}

static uint32_t remove_at(struct check_index *ix, uint32_t n, uint32_t slot)
{
	if (n == CHECK_NIL)
		return CHECK_NIL;  /* not in the tree: callers only remove live slots */
	if (n == slot) {
		struct check_block *b = &ix->blocks[n];
		if (b->left == CHECK_NIL)
			return b->right;
		if (b->right == CHECK_NIL)
			return b->left;
		uint32_t m;
		uint32_t right = remove_min(ix, b->right, &m);
		ix->blocks[m].left = b->left;
		ix->blocks[m].right = right;
		return rebalance(ix, m);
	}
	uint32_t *link = before(ix, slot, n) ? &ix->blocks[n].left : &ix->blocks[n].right;
	int was = height(ix, *link);
	*link = remove_at(ix, *link, slot);
	return height(ix, *link) == was ? n : rebalance(ix, n);
}

void check_index_remove(struct check_index *ix, uint32_t slot)
{
	ix->root = remove_at(ix, ix->root, slot);
	ix->blocks[slot].state = SLOT_EMPTY;
	ix->blocks[slot].left = ix->blocks[slot].right = CHECK_NIL;
	ix->live--;
}

uint32_t check_index_overlap(const struct check_index *ix, uintptr_t addr, uint64_t size)
{
	uint32_t pred = CHECK_NIL, succ = CHECK_NIL, n = ix->root;
	uint64_t len = extent(size);

	/* The last block starting at or below addr, and the first above it. */
	while (n != CHECK_NIL) {
		if (ix->blocks[n].addr <= addr) {
			pred = n;
			n = ix->blocks[n].right;
		} else {
			succ = n;
			n = ix->blocks[n].left;
		}
	}
	if (pred != CHECK_NIL && addr - ix->blocks[pred].addr < extent(ix->blocks[pred].size))
		return pred;
	if (succ != CHECK_NIL && ix->blocks[succ].addr - addr < len)
		return succ;
	return CHECK_NIL;
}

/* In order: each node balanced, and starting at or after the previous one's end. */
static int valid_at(const struct check_index *ix, uint32_t n, uintptr_t *prev_end,
                    uint64_t *count)
{
	if (n == CHECK_NIL)
		return 1;
	const struct check_block *b = &ix->blocks[n];
	int l = height(ix, b->left), r = height(ix, b->right);
	if (b->state != SLOT_LIVE || b->height != 1 + (l > r ? l : r) || l - r > 1 || r - l > 1)
		return 0;
	if (!valid_at(ix, b->left, prev_end, count) || b->addr < *prev_end)
		return 0;
	*prev_end = b->addr + extent(b->size);
	(*count)++;
	return valid_at(ix, b->right, prev_end, count);
}

int check_index_valid(const struct check_index *ix)
{
	uint64_t count = 0;
	uintptr_t prev_end = 0;
	if (!valid_at(ix, ix->root, &prev_end, &count))
		return -1;
	return count == ix->live ? 0 : -1;
}

/* ---- payload patterns ---- */

/* A well-mixed 64-bit key per (slot, seed) (the splitmix64 finaliser). */
static uint64_t pattern_base(uint32_t slot, uint32_t seed)
{
	uint64_t z = ((uint64_t)slot << 32 | seed) + 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#define PATTERN_STRIDE 0xd1b54a32d192ed03ull
/*
 * Fill and verify handle a 64-byte line per step, as four vectors of two
 * words (GNU C vectors: SSE2 registers on plain x86-64), in a loop with no
 * branch and no multiply inside.  A step that finds a difference hands over
 * to the word-by-word loop, which names the first differing byte, so the
 * result is the same as checking byte by byte.
 */
typedef uint64_t pattern_vec __attribute__((vector_size(16)));
#define LINE 64  /* bytes per step: four pattern_vec */

/* Word i of the pattern: an odd stride keeps consecutive words distinct. */
static inline uint64_t pattern_word(uint64_t base, uint64_t i)
{
	return base + i * PATTERN_STRIDE;
}

static inline uint8_t pattern_byte(uint64_t base, uint64_t k)
{
	return (uint8_t)(pattern_word(base, k / 8) >> (8 * (k % 8)));
}

/* Words i and i + 1 of the pattern. */
static inline pattern_vec pattern_pair(uint64_t base, uint64_t i)
{
	return (pattern_vec){ pattern_word(base, i), pattern_word(base, i + 1) };
}

void check_fill(void *p, uint64_t from, uint64_t size, uint32_t slot, uint32_t seed)
{
	unsigned char *c = p;
	uint64_t base = pattern_base(slot, seed), k = from;

	for (; k < size && k % 8; k++)
		c[k] = pattern_byte(base, k);
	if (k + LINE <= size) {
		const pattern_vec step = { 8 * PATTERN_STRIDE, 8 * PATTERN_STRIDE };
		pattern_vec w0 = pattern_pair(base, k / 8), w1 = pattern_pair(base, k / 8 + 2);
		pattern_vec w2 = pattern_pair(base, k / 8 + 4), w3 = pattern_pair(base, k / 8 + 6);
		for (; k + LINE <= size; k += LINE) {
			memcpy(c + k, &w0, 16);
			memcpy(c + k + 16, &w1, 16);
			memcpy(c + k + 32, &w2, 16);
			memcpy(c + k + 48, &w3, 16);
			w0 += step, w1 += step, w2 += step, w3 += step;
		}
	}
	for (; k + 8 <= size; k += 8) {
		uint64_t x = pattern_word(base, k / 8);
		memcpy(c + k, &x, 8);
	}
	for (; k < size; k++)
		c[k] = pattern_byte(base, k);
}

int64_t check_verify(const void *p, uint64_t size, uint32_t slot, uint32_t seed,
                     uint8_t *expected, uint8_t *found)
{
	const unsigned char *c = p;
	uint64_t base = pattern_base(slot, seed), k = 0;

	if (size >= LINE) {
		const pattern_vec step = { 8 * PATTERN_STRIDE, 8 * PATTERN_STRIDE };
		pattern_vec e0 = pattern_pair(base, 0), e1 = pattern_pair(base, 2);
		pattern_vec e2 = pattern_pair(base, 4), e3 = pattern_pair(base, 6);
		for (; k + LINE <= size; k += LINE) {
			pattern_vec w0, w1, w2, w3;
			memcpy(&w0, c + k, 16);
			memcpy(&w1, c + k + 16, 16);
			memcpy(&w2, c + k + 32, 16);
			memcpy(&w3, c + k + 48, 16);
			pattern_vec d = ((w0 ^ e0) | (w1 ^ e1)) | ((w2 ^ e2) | (w3 ^ e3));
			if (d[0] | d[1])
				break;
			e0 += step, e1 += step, e2 += step, e3 += step;
		}
	}
	for (; k + 8 <= size; k += 8) {
		uint64_t w;
		memcpy(&w, c + k, 8);
		if (w != pattern_word(base, k / 8))
			break;
	}
	for (; k < size; k++) {
		if (c[k] != pattern_byte(base, k)) {
			*expected = pattern_byte(base, k);
			*found = c[k];
			return (int64_t)k;
		}
	}
	return -1;
}

int64_t check_zeroed(const void *p, uint64_t size)
{
	const unsigned char *c = p;
	uint64_t k = 0;

	for (; k + LINE <= size; k += LINE) {
		pattern_vec w0, w1, w2, w3;
		memcpy(&w0, c + k, 16);
		memcpy(&w1, c + k + 16, 16);
		memcpy(&w2, c + k + 32, 16);
		memcpy(&w3, c + k + 48, 16);
		pattern_vec any = (w0 | w1) | (w2 | w3);
		if (any[0] | any[1])
			break;
	}
	for (; k + 8 <= size; k += 8) {
		uint64_t w;
		memcpy(&w, c + k, 8);
		if (w)
			break;
	}
	for (; k < size; k++)
		if (c[k])
			return (int64_t)k;
	return -1;
}
