"""The model: what an entity, a deal and a figure are, and the values they hold.

``schema.yaml`` is the one description of kinds, fields and kind roles; :mod:`.records`
reads it into typed records. Nothing here imports the rest of dealgraph: the loaders, the
stores, the analyses and the output all stand on this wing.
"""
