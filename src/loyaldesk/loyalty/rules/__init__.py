"""Pure rules of the loyalty program (no I/O): earning, tiers, expiry, the ledger's arithmetic, referral
checks and badges. Each module is tested exhaustively on its own."""
