"""Access to the shop's orders and refunds: one interface (`base.ShopAdapter`), two adapters
(`sql` for a shop database, `http` for a shop's own order API), chosen by `factory.get_adapter()`.
"""
