"""The loyalty program: a points ledger, earning rules and campaigns, tiers, rewards, referrals, delight."""
