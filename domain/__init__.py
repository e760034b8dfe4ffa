"""The project's vocabulary, the ground floor of the layers (docs/ARCHITECTURE.md).

Pure Python: no SQL, no Streamlit, no pandas. One declarative registry per concept, each entry carrying its rule
and its Chinese label together:

* :mod:`domain.calendar`     reporting months ('YYYY-MM'): validation, period end, previous/next, ranges
* :mod:`domain.rights`       the rights catalogue R01–R15 (domain.md §7): category, item, side rule, platform,
                             statuses
* :mod:`domain.organisation` the three service platforms and the ten 双五级 posts (domain.md §2)
* :mod:`domain.roles`        roles, the named actions each may perform, data scope, and the action each page needs
                             (domain.md §10)
* :mod:`domain.idnumber`     resident ID numbers (GB 11643): check character, validation, masking, gender
* :mod:`domain.sizes`        size classes by relocated population (domain.md §2, §11)
* :mod:`domain.sites`        site types (domain.md §2)
* :mod:`domain.labour`       employment statuses and forms; which forms count as workshop jobs (I2)
* :mod:`domain.followup`     rectification sources and statuses, follow-up record kinds (domain.md §9)

Labels of dimensions and grades are not here: they belong to the indicator catalogue (``scoring/catalogues``).
Every other layer may import this package; it imports nothing of the project.
"""
