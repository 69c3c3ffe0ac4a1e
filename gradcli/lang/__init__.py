"""Layer 2, lang: the program IR, the lexer and LALR driver, number parsing, located errors.
Imports only core (ARCHITECTURE.md)."""
