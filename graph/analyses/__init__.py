"""Questions asked of a store: money loops (:mod:`.cycles`, :mod:`.ordered_cycles`), the
canned queries and their Python twins (:mod:`.queries`), concentration, vendor financing
(:mod:`.economics`), clusters, stress, and the entity profile and story built on them."""
