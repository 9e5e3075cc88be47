# Shared by the reference scripts that read --key=value arguments and write numbers as JSON
# (tests/r/conventions_reference.R, tests/r/zph_band_reference.R); each sources it from its own
# folder. Base R only: jsonlite is not a Debian dependency of r-cran-survival. Numbers are written
# with 17 significant digits, so nothing is lost; NA, NaN and +-Inf become null.

# The --key=value arguments over `defaults` (a named list); any other argument is an error.
parse_args <- function(defaults = list()) {
  opt <- defaults
  for (a in commandArgs(trailingOnly = TRUE)) {
    m <- regmatches(a, regexec("^--([a-z_]+)=(.*)$", a))[[1]]
    if (length(m) != 3) stop("bad argument: ", a)
    opt[[m[2]]] <- m[3]
  }
  opt
}

json_num <- function(x) ifelse(is.na(x) | !is.finite(x), "null", sprintf("%.17g", x))

# A named list is an object, an unnamed list an array; a numeric vector is an array unless it
# has length 1 (then a number).
to_json <- function(x) {
  if (is.list(x)) {
    items <- vapply(x, to_json, "")
    if (!is.null(names(x))) return(paste0("{", paste0("\"", names(x), "\":", items, collapse = ","), "}"))
    return(paste0("[", paste(items, collapse = ","), "]"))
  }
  v <- json_num(as.numeric(x))
  if (length(v) == 1) v else paste0("[", paste(v, collapse = ","), "]")
}
