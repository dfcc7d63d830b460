"""Customer tiering (spec tiering.md): legacy star, lifecycle, CEV/CPV/CLV, quadrants, value stars, STP sub-types."""
