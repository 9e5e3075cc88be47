# R reference values for tests/test_zph_band_r.py: what plot.cox.zph draws for one term.
#
#   Rscript zph_band_reference.R --data=data.csv --out=reference.json --terms=treatment --term=1
#
# The CSV holds a design matrix: time, event and the model's terms. With R's survival package it
# fits coxph(Surv(time, event) ~ <terms>) (Efron ties), takes z <- cox.zph(fit) with its defaults
# (transform = "km", terms = TRUE), and calls plot(z, var = term) with plot.cox.zph's defaults
# (resid = TRUE, se = TRUE, df = 4, nsmo = 40, hr = FALSE) on a null device. The numbers are not
# recomputed here: tracers on graphics' points.default and lines.default record the x and y of
# every call that plot.cox.zph makes, so the JSON holds what R draws:
#   points   x (cox.zph's time scale, 1 - KM(t-)) and y (scaled Schoenfeld residual + coef)
#   fit      the spline fit at nsmo points (x, y); upper and lower: the +-2 SE lines (y)
#   axis     the x axis R labels in time on the transformed scale: positions and the times printed
# and, to compare the inputs, z$x, z$time, z$y[, term], z$var[term, term], coef and the events; and
#   ns       splines::ns(c(grid, z$x), df = 4, intercept = TRUE), the basis plot.cox.zph regresses
#            on (grid: nsmo points from min(z$x) to max(z$x)), column by column.
# Arguments and JSON by tests/r/cli_json.R (a small base-R serialiser).
suppressPackageStartupMessages(library(survival))

source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])), "cli_json.R"))
opt <- parse_args(list(term = "1"))
terms <- strsplit(opt$terms, ",", fixed = TRUE)[[1]]
term <- as.integer(opt$term)

d <- read.csv(opt$data, check.names = FALSE)
form <- as.formula(paste("Surv(time, event) ~", paste(sprintf("`%s`", terms), collapse = " + ")))
fit <- coxph(form, data = d, ties = "efron")
z <- cox.zph(fit)

drawn <- new.env()
drawn$points <- list()
drawn$lines <- list()
drawn$axis <- list()
record <- function(kind) {
  bquote({
    xy <- grDevices::xy.coords(x, y)
    assign(.(kind), c(get(.(kind), envir = drawn), list(list(x = xy$x, y = xy$y))), envir = drawn)
  })
}
suppressMessages({
  invisible(trace("points.default", tracer = record("points"), where = asNamespace("graphics"), print = FALSE))
  invisible(trace("lines.default", tracer = record("lines"), where = asNamespace("graphics"), print = FALSE))
  # axis as survival's imports hold it; plot.default's own axes (at = NULL) are left out
  invisible(trace("axis", tracer = quote(if (!is.null(at)) assign("axis", c(get("axis", envir = drawn),
    list(list(at = at, labels = as.numeric(labels)))), envir = drawn)), where = asNamespace("survival"),
    print = FALSE))
})
pdf(NULL)
plot(z, var = term)
invisible(dev.off())
suppressMessages({
  untrace("points.default", where = asNamespace("graphics"))
  untrace("lines.default", where = asNamespace("graphics"))
  untrace("axis", where = asNamespace("survival"))
})
stopifnot(length(drawn$points) == 1, length(drawn$lines) == 3, length(drawn$axis) == 1)

out <- list(
  survival = unlist(packageVersion("survival")),
  defaults = formals(getS3method("plot", "cox.zph"))[c("df", "nsmo")],
  transform = as.numeric(z$transform == "km"),
  events = fit$nevent,
  coef = unname(coef(fit)[term]),
  zph_x = z$x,
  zph_time = z$time,
  zph_y = unname(z$y[, term]),
  zph_var = z$var[term, term],
  points = drawn$points[[1]],
  fit = drawn$lines[[1]],
  upper = drawn$lines[[2]]$y,
  lower = drawn$lines[[3]]$y,
  axis = drawn$axis[[1]][c("at", "labels")],
  ns = as.vector(splines::ns(c(seq(min(z$x), max(z$x), length = 40), z$x), df = 4, intercept = TRUE))
)
writeLines(to_json(out), opt$out)
