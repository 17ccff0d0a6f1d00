/*
 * list.h - the built-in allocators, one line each, in the order --list shows
 * them: from the naive designs to the serious ones.  ALLOCATOR(x) names the
 * table `alloc_x` that some file under allocators/ defines.
 *
 * This is the only list.  registry.c includes it to build the registry, and
 * the Makefile reads the same lines to build one preload library per table
 * (build/lib/libheaplab-x.so, with "-" for "_"), so adding an allocator is
 * adding its line here.  Keep one ALLOCATOR(...) per line, at the start of
 * the line: that is the form the Makefile matches.
 */
ALLOCATOR(bump)
ALLOCATOR(implicit_first)
ALLOCATOR(implicit_next)
ALLOCATOR(implicit_best)
ALLOCATOR(explicit_lifo)
ALLOCATOR(explicit_addr)
ALLOCATOR(segregated)
ALLOCATOR(tlsf)
ALLOCATOR(buddy)
ALLOCATOR(slab)
ALLOCATOR(tlsf_tcache)
ALLOCATOR(compact)
ALLOCATOR(sharded)
