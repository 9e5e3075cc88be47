# R reference values for tests/test_immunotherapy_cure_competing_r.py (chapters 17 and 18).
#
#   Rscript cure_competing_reference.R --mode=cure --data=arm.csv --out=values.txt
#     arm.csv: columns time, event (one arm)
#   Rscript cure_competing_reference.R --mode=competing --data=cr.csv --out=values.txt
#     cr.csv: columns time, status (0 censored, 1 cause of interest, 2 competing), group
#
# Writes one "name value" line per number (17 significant digits).
# mode=cure: the Weibull mixture cure model S(t) = c + (1 - c) exp(-(t/lambda)^rho), written out
# here and maximised with optim (no R package for it in Debian: flexsurvcure and smcure are not
# packaged):
#   cure.{c,lambda,rho,loglik}   the maximum (L-BFGS-B, c in [0, 1 - 1e-9], log lambda, log rho)
#   profile.c<i>.loglik          max over (lambda, rho) at c = 0, 0.05, 0.1, 0.2, 0.3, 0.5 (BFGS from
#                                the median start and from the best fit, the larger)
#   profile.upper, profile.lower the profile-likelihood 95% interval (uniroot, tol 1e-12);
#                                lower is 0 when the profile at 0 is within the cut-off
# mode=competing: cmprsk::cuminc(time, status, group)
#   cif.<group>.<k>.{time,est}   the k-th point of cuminc's cause-1 curve of each group
#   gray.{stat,p,df}             cuminc's Tests, cause 1 (only with two or more groups)
args <- commandArgs(trailingOnly = TRUE)
opt <- list()
for (a in args) {
  m <- regmatches(a, regexec("^--([a-z_]+)=(.*)$", a))[[1]]
  if (length(m) != 3) stop("bad argument: ", a)
  opt[[m[2]]] <- m[3]
}
d <- read.csv(opt$data, check.names = FALSE)
out <- character(0)
put <- function(name, value) out <<- c(out, paste(name, sprintf("%.17g", value)))

# log(c + (1 - c) exp(-u)) as a log-sum-exp: exp(-u) underflows to 0 for a censored time far
# beyond the Weibull scale, and log(0) stops L-BFGS-B ("needs finite values of 'fn'") at c = 0
log_mix <- function(c, u) {
  lb <- log1p(-c) - u
  if (c <= 0) return(lb)
  la <- log(c)
  pmax(la, lb) + log1p(exp(-abs(la - lb)))
}
loglik <- function(c, a, b, t, e) {
  lam <- exp(a); rho <- exp(b)
  u <- (t / lam)^rho
  logf <- log(rho) - rho * log(lam) + (rho - 1) * log(t) - u
  sum(log1p(-c) + logf[e == 1]) + sum(log_mix(c, u[e == 0]))
}

if (opt$mode == "cure") {
  t <- pmax(d$time, 1e-3); e <- d$event
  start <- c(log(median(t)), 0)
  # the profile from two starts, the larger kept: from `start` alone BFGS can stop at a local
  # maximum at small c (seed 20250103's treated PFS arm at c <= 0.0043: -45.924 against -45.636)
  prof <- function(c) {
    starts <- if (is.null(best)) list(start) else list(start, best$par[2:3])
    max(sapply(starts, function(s) -optim(s, function(p) -loglik(c, p[1], p[2], t, e), method = "BFGS",
                                          control = list(reltol = 1e-15, maxit = 1000))$value))
  }
  best <- NULL
  for (c0 in c(0.01, 0.2, 0.5)) {
    f <- optim(c(c0, start), function(p) -loglik(p[1], p[2], p[3], t, e), method = "L-BFGS-B",
               lower = c(0, -Inf, -Inf), upper = c(1 - 1e-9, Inf, Inf),
               control = list(factr = 1, pgtol = 0, maxit = 10000))
    if (is.null(best) || f$value < best$value) best <- f
  }
  put("cure.c", best$par[1]); put("cure.lambda", exp(best$par[2])); put("cure.rho", exp(best$par[3]))
  top <- max(-best$value, prof(best$par[1]))
  put("cure.loglik", top)
  for (c in c(0, 0.05, 0.1, 0.2, 0.3, 0.5)) put(sprintf("profile.c%g.loglik", c), prof(c))
  cut <- qchisq(0.95, 1)
  excess <- function(c) 2 * (top - prof(c)) - cut
  chat <- best$par[1]
  put("profile.upper", uniroot(excess, c(max(chat, 1e-9), 1 - 1e-9), tol = 1e-12)$root)
  put("profile.lower", if (chat <= 1e-9 || excess(0) <= 0) 0 else uniroot(excess, c(0, chat), tol = 1e-12)$root)
} else {
  suppressPackageStartupMessages(library(cmprsk))
  ci <- cuminc(d$time, d$status, d$group, cencode = 0)
  for (g in unique(as.character(d$group))) {
    curve <- ci[[paste(g, 1)]]
    for (k in seq_along(curve$time)) {
      put(sprintf("cif.%s.%d.time", g, k), curve$time[k])
      put(sprintf("cif.%s.%d.est", g, k), curve$est[k])
    }
  }
  if (!is.null(ci$Tests)) {
    put("gray.stat", ci$Tests["1", "stat"]); put("gray.p", ci$Tests["1", "pv"]); put("gray.df", ci$Tests["1", "df"])
  }
}
writeLines(out, opt$out)
