"""Secret scanning: built-in rules, the keyword-prefiltered regex engine, custom rule files."""
