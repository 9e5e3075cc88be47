# R reference values for tests/test_conventions_r.py (one call per endpoint of the cohort in force).
#
#   Rscript conventions_reference.R --data=cohort.csv --out=reference.json --endpoint=os \
#     --reference=Chemo --treatment="ICIs + Chemo" --covariates=age,sex_male,... --landmark=12
#
# The CSV holds the design matrix the book fits (time, event, treatment, covariate terms, and the
# IPT weight column `weight`). For the endpoint it writes, with R's survival package:
#   quantiles  per arm: quantile(survfit(conf.type = "log"), c(0.25, 0.5, 0.75)) with limits
#   rate       per arm: summary(survfit(conf.type = "log"), times = landmark): surv, lower, upper
#   logrank    survdiff chisq
#   breslow    coxph(ties = "breslow") of the arm alone and of the arm with the covariates: coef, se
#   zph        cox.zph(transform = "km" / "identity", terms = FALSE) chisq of the arm, both models
#   zph_old    survival 2.x's approximation by hand from residuals(type = "scaledsch"): per term
#              (Σ g̃ r)² / (var · d · Σ g̃²), g̃ = g − mean(g), g = 1 − KM just before each event or t
#   global     cox.zph(transform = "km" / "rank" / "identity")$table["GLOBAL", "chisq"] of each model,
#              and survival 2.x's GLOBAL by hand from residuals(type = "schoenfeld") S:
#              (g̃'S) V (g̃'S)' · d / Σ g̃² ("old_km", "old_rank", "old_identity"; 2.x's rank is
#              rank() of the event times)
#   defaults   the arm's p: cox.zph(fit)'s default (exact, km, terms = TRUE), the exact test on
#              lifelines' rank (events up to and including t), and 2.x's approximation on its rank
#   iptw       coxph(treatment, weights = weight) with robust = TRUE and robust = FALSE: coef, se
# Arguments and JSON by tests/r/cli_json.R (a small base-R serialiser).
suppressPackageStartupMessages(library(survival))

source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])), "cli_json.R"))
opt <- parse_args(list(covariates = "", landmark = "12"))
covariates <- if (opt$covariates == "") character(0) else strsplit(opt$covariates, ",", fixed = TRUE)[[1]]
landmark <- as.numeric(opt$landmark)

d <- read.csv(opt$data, check.names = FALSE)
out <- list(survival = as.numeric(strsplit(as.character(packageVersion("survival")), ".", fixed = TRUE)[[1]][1]))
for (arm in c(0, 1)) {
  s <- d[d$treatment == arm, ]
  f <- survfit(Surv(time, event) ~ 1, data = s, conf.type = "log")
  q <- quantile(f, c(0.25, 0.5, 0.75))
  r <- summary(f, times = landmark, extend = TRUE)
  out[[paste0("arm", arm)]] <- list(
    quantile = unname(q$quantile), lower = unname(q$lower), upper = unname(q$upper),
    rate = r$surv, rate_lower = r$lower, rate_upper = r$upper)
}
out$logrank <- survdiff(Surv(time, event) ~ treatment, data = d)$chisq
# survival 2.x's g(t) at the sorted event times, centred: 1 - KM just before t, the rank of t, or t
old_g <- function(fit, transform) {
  times <- sort(fit$y[fit$y[, 2] == 1, 1])
  if (transform == "km") {
    km <- survfit(Surv(fit$y[, 1], fit$y[, 2]) ~ 1)
    g <- 1 - vapply(times, function(u) { s <- km$surv[km$time < u]; if (length(s)) s[length(s)] else 1 }, 0)
  } else if (transform == "rank") {
    g <- rank(times)
  } else {
    g <- times
  }
  g - mean(g)
}
old_zph <- function(fit, transform) {
  r <- as.matrix(residuals(fit, "scaledsch"))
  xx <- old_g(fit, transform)
  unname(drop(xx %*% r)^2 / (diag(fit$var) * fit$nevent * sum(xx^2)))
}
old_global <- function(fit, transform) {
  s <- as.matrix(residuals(fit, "schoenfeld"))
  xx <- old_g(fit, transform)
  u <- drop(xx %*% s)
  sum(u * (fit$var %*% u)) * fit$nevent / sum(xx^2)
}
models <- list(arm = "treatment", full = paste(c("treatment", sprintf("`%s`", covariates)), collapse = " + "))
for (name in names(models)) {
  form <- as.formula(paste("Surv(time, event) ~", models[[name]]))
  b <- coxph(form, data = d, ties = "breslow")
  e <- coxph(form, data = d, ties = "efron")
  zk <- cox.zph(e, transform = "km", terms = FALSE)$table
  zi <- cox.zph(e, transform = "identity", terms = FALSE)$table
  out[[name]] <- list(breslow_coef = unname(coef(b)[1]), breslow_se = unname(sqrt(diag(vcov(b)))[1]),
                      zph_km = unname(zk[1, "chisq"]), zph_identity = unname(zi[1, "chisq"]),
                      zph_old_km = old_zph(e, "km")[1], zph_old_identity = old_zph(e, "identity")[1],
                      global = list(
                        km = unname(cox.zph(e, transform = "km")$table["GLOBAL", "chisq"]),
                        rank = unname(cox.zph(e, transform = "rank")$table["GLOBAL", "chisq"]),
                        identity = unname(cox.zph(e, transform = "identity")$table["GLOBAL", "chisq"]),
                        old_km = old_global(e, "km"), old_rank = old_global(e, "rank"),
                        old_identity = old_global(e, "identity")),
                      defaults = list(
                        r_default = unname(cox.zph(e)$table[1, "p"]),
                        score_event_count = unname(cox.zph(e, transform = function(t)
                          vapply(t, function(u) sum(e$y[e$y[, 2] == 1, 1] <= u), 0), terms = FALSE)$table[1, "p"]),
                        approximation_rank = pchisq(old_zph(e, "rank")[1], 1, lower.tail = FALSE)))
}
w <- d[!is.na(d$weight), ]
rob <- coxph(Surv(time, event) ~ treatment, data = w, weights = weight, robust = TRUE)
mod <- coxph(Surv(time, event) ~ treatment, data = w, weights = weight, robust = FALSE)
out$iptw <- list(coef = unname(coef(rob)), se_robust = unname(sqrt(vcov(rob))[1]),
                 se_model = unname(sqrt(vcov(mod))[1]))
writeLines(to_json(out), opt$out)
