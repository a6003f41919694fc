"""Claims of the maximum-mutual-information (MMI) paper."""
