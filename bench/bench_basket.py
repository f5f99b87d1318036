"""FP-growth on all Complete Journey baskets at category level: timing (issue 8).

Run: .venv/bin/python bench/bench_basket.py
Prints wall-clock and CPU seconds of building the basket x category matrix and
of mining rules at several minimum supports.  The acceptance target is one
minute on two cores at min_support = 0.01.
"""

import time

import crm_analysis as crm


def main() -> None:
    tx = crm.load_complete_journey()
    products = crm.load_complete_journey("products")
    t0, c0 = time.perf_counter(), time.process_time()
    onehot = crm.basket_matrix(tx, products=products, level="product_category")
    print(f"matrix {onehot.shape}: {time.perf_counter() - t0:.1f} s wall, "
          f"{time.process_time() - c0:.1f} s CPU")
    for min_support in (0.05, 0.02, 0.01):
        t0, c0 = time.perf_counter(), time.process_time()
        rules = crm.mine_rules(onehot, min_support=min_support)
        print(f"min_support={min_support}: {len(rules.itemsets):,} itemsets, "
              f"{len(rules.rules):,} rules; {time.perf_counter() - t0:.1f} s wall, "
              f"{time.process_time() - c0:.1f} s CPU")
    # Other levels: departments, and products bought in at least 1,000 baskets (sparse path).
    for label, kwargs, support in (
        ("department", {"products": products, "level": "department"}, 0.01),
        ("product (>= 1,000 baskets)", {"min_baskets": 1000, "sparse": True}, 0.005),
    ):
        t0, c0 = time.perf_counter(), time.process_time()
        rules = crm.mine_rules(crm.basket_matrix(tx, **kwargs), min_support=support)
        print(f"{label}, min_support={support}: {rules.summary()['items'].item()} items, "
              f"{len(rules.itemsets):,} itemsets, {len(rules.rules):,} rules; "
              f"{time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU")


if __name__ == "__main__":
    main()
