"""Reading pages: charset, HTML -> Document extraction, image URL rules, language."""
