# R reference values for tests/test_immunotherapy_r.py (chapters 15, 16 and 19).
#
#   Rscript immunotherapy_reference.R --data=cohort.csv --out=values.txt \
#     --reference=Chemo --treatment="ICIs + Chemo" --endpoint=os --landmarks=0,3,4 --betas=-1,0,0.5
#
# Writes one "name value" line per number (17 significant digits; NA for R's NA):
#   survdiff.rho<r>.{chisq,o_minus_e,var}   survdiff(rho = r), r = 0 and 1, treatment arm
#   fh.<rho>_<gamma>.{u,var}                Fleming-Harrington U and V computed here by hand in R
#                                           (pooled survfit, S(t-)), for the four weights
#   fh.cov.<a>.<b>                          covariance of the U statistics a and b (1-based)
#   maxcombo.p                              1 - mvtnorm::pmvnorm(-m, m, corr = R), GenzBretz, seeded
#                                           (only if the mvtnorm package is installed)
#   landmark.<L>.{coef,se,hr,lower,upper,p,n}
#                                           coxph(Surv(time - L, event) ~ arm, subset = time > L,
#                                           ties = "efron"); L = 0 is the whole data
#   loglik.<i>                              coxph(..., init = beta_i, iter.max = 0)$loglik[1]: the Efron
#                                           partial log-likelihood of the arm at beta_i
#   cox.{coef,se,loglik}                    coxph(Surv(time, event) ~ arm) at its maximum
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
opt <- list(endpoint = "os", landmarks = "0", betas = "0")
for (a in args) {
  m <- regmatches(a, regexec("^--([a-z_]+)=(.*)$", a))[[1]]
  if (length(m) != 3) stop("bad argument: ", a)
  opt[[m[2]]] <- m[3]
}
for (k in c("data", "out", "reference", "treatment")) if (is.null(opt[[k]])) stop("missing --", k)
nums <- function(x) as.numeric(strsplit(x, ",", fixed = TRUE)[[1]])

d <- read.csv(opt$data, check.names = FALSE)
d <- d[d$group %in% c(opt$reference, opt$treatment), ]
time <- d[[paste0(opt$endpoint, "_months")]]
event <- d[[paste0(opt$endpoint, "_event")]]
arm <- as.integer(d$group == opt$treatment)
ok <- !is.na(time) & !is.na(event)
time <- time[ok]; event <- event[ok]; arm <- arm[ok]

out <- character(0)
put <- function(name, value) {
  out <<- c(out, paste(name, ifelse(is.na(value), "NA", sprintf("%.17g", value))))
}

# survdiff: the treatment arm is the second level of factor(arm) (0, 1)
for (rho in c(0, 1)) {
  s <- survdiff(Surv(time, event) ~ factor(arm, levels = c(0, 1)), rho = rho)
  put(sprintf("survdiff.rho%d.chisq", rho), s$chisq)
  put(sprintf("survdiff.rho%d.o_minus_e", rho), s$obs[2] - s$exp[2])
  put(sprintf("survdiff.rho%d.var", rho), s$var[2, 2])
}

# Fleming-Harrington by hand, from the pooled Kaplan-Meier curve (S just before each event time)
fit <- survfit(Surv(time, event) ~ 1)
tj <- fit$time[fit$n.event > 0]
s_after <- fit$surv[fit$n.event > 0]
s_before <- c(1, head(s_after, -1))
n <- sapply(tj, function(t) sum(time >= t))
n1 <- sapply(tj, function(t) sum(time >= t & arm == 1))
dd <- sapply(tj, function(t) sum(time == t & event == 1))
d1 <- sapply(tj, function(t) sum(time == t & event == 1 & arm == 1))
o_minus_e <- d1 - dd * n1 / n
v <- ifelse(n > 1, dd * (n - dd) * n1 * (n - n1) / (n^2 * (n - 1)), 0)
weights <- list(c(0, 0), c(1, 0), c(0, 1), c(1, 1))
W <- sapply(weights, function(w) s_before^w[1] * (1 - s_before)^w[2])
for (k in seq_along(weights)) {
  w <- weights[[k]]
  put(sprintf("fh.%g_%g.u", w[1], w[2]), sum(W[, k] * o_minus_e))
  put(sprintf("fh.%g_%g.var", w[1], w[2]), sum(W[, k]^2 * v))
}
cov_u <- t(W) %*% (W * v)
for (a in 1:4) for (b in 1:4) put(sprintf("fh.cov.%d.%d", a, b), cov_u[a, b])
if (requireNamespace("mvtnorm", quietly = TRUE)) {
  corr <- cov2cor(cov_u)
  z <- as.vector(t(W) %*% o_minus_e) / sqrt(diag(cov_u))
  m <- max(abs(z))
  set.seed(20250101)
  inside <- mvtnorm::pmvnorm(lower = rep(-m, 4), upper = rep(m, 4), corr = corr,
                             algorithm = mvtnorm::GenzBretz(maxpts = 1e6, abseps = 1e-6, releps = 0))
  put("maxcombo.p", 1 - inside[1])
  put("maxcombo.error", attr(inside, "error"))
}

# Landmark Cox models
for (L in nums(opt$landmarks)) {
  keep <- if (L > 0) time > L else rep(TRUE, length(time))
  f <- coxph(Surv(time[keep] - L, event[keep]) ~ arm[keep], ties = "efron")
  s <- summary(f)
  put(sprintf("landmark.%g.coef", L), unname(coef(f)))
  put(sprintf("landmark.%g.se", L), sqrt(f$var[1, 1]))
  put(sprintf("landmark.%g.hr", L), s$conf.int[1, 1])
  put(sprintf("landmark.%g.lower", L), s$conf.int[1, 3])
  put(sprintf("landmark.%g.upper", L), s$conf.int[1, 4])
  put(sprintf("landmark.%g.p", L), s$coefficients[1, 5])
  put(sprintf("landmark.%g.n", L), sum(keep))
}

# Efron partial log-likelihood at fixed betas, and at the maximum
betas <- nums(opt$betas)
for (i in seq_along(betas)) {
  f0 <- coxph(Surv(time, event) ~ arm, ties = "efron", init = betas[i],
              control = coxph.control(iter.max = 0))
  put(sprintf("loglik.%d", i), f0$loglik[1])
}
f <- coxph(Surv(time, event) ~ arm, ties = "efron")
put("cox.coef", unname(coef(f)))
put("cox.se", sqrt(f$var[1, 1]))
put("cox.loglik", f$loglik[2])

writeLines(out, opt$out)
