"""Every change to the knowledge base: categories and articles (editors), publishing (which also
stores the published version's passages and embeddings), and what shoppers leave behind (searches,
opened articles, feedback)."""
