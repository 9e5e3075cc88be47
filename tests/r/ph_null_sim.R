# Chapter 11's size simulation rebuilt in R (survival 3.5-3), independently of the book's Python:
# the paper's model on the shipped cohort (cox.design_matrix of the 11 covariates, 12 terms), its
# Efron fit's beta, an exponential baseline (rate exp(lp - mean lp)), independent exponential
# censoring at the constant c that makes mean(rate / (rate + c)) equal the observed share of events
# (methods.ph.null_rejection_rates), 2000 replicates per endpoint. A replicate is dropped when it
# has no event, when coxph warns (no convergence / "Loglik converged before variable": since
# session 18 the book refits as coxph does and drops the same, ph.efron_newton; before, it dropped
# the fits lifelines flagged) or when cox.zph fails (singular information).
# Reported per endpoint: the share of kept replicates with p < 0.05 for (a) cox.zph's exact GLOBAL
# test (1 - KM), (b) survival 2.x's global approximation (1 - KM(t-)), (c) cox.zph's exact test of
# the arm's term (treatment); the same over every fit that ran (warnings kept), as review 51 did.
#
# Usage: Rscript ph_null_sim.R data/lcnec_synthetic_cohort.csv [reps] [seed] [python design dir]
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args) >= 1) args[1] else "data/lcnec_synthetic_cohort.csv"
reps <- if (length(args) >= 2) as.integer(args[2]) else 2000L
seed <- if (length(args) >= 3) as.integer(args[3]) else 20250101L
pydir <- if (length(args) >= 4) args[4] else NA

cohort <- read.csv(path, stringsAsFactors = FALSE)
covs <- c("age", "sex", "smoking", "ecog", "met_bone", "met_liver", "met_brain", "met_pleura",
          "met_intrapulmonary", "met_adrenal", "thoracic_rt")

design <- function(ep) {
  tc <- paste0(ep, "_months"); ec <- paste0(ep, "_event")
  d <- cohort[cohort$group %in% c("Chemo", "ICIs + Chemo"), c(tc, ec, "group", covs)]
  d <- d[complete.cases(d), ]
  out <- data.frame(time = as.numeric(d[[tc]]), event = as.integer(d[[ec]]),
                    treatment = as.integer(d$group == "ICIs + Chemo"))
  for (v in covs) out[[if (v == "sex") "sex_male" else v]] <-
    if (v == "sex") as.integer(d$sex == "Male") else as.numeric(d[[v]])
  out
}

# survival 2.x's global approximation on 1 - KM just before each event (cox.zph before 3.0)
old_global <- function(f, d) {
  s <- residuals(f, "schoenfeld")
  if (is.null(dim(s))) s <- matrix(s, ncol = 1)
  et <- sort(d$time[d$event == 1])   # the residuals' rows are the events in time order (rownames
  stopifnot(length(et) == nrow(s))   # print the times rounded, so they are not matched on)
  ut <- sort(unique(d$time[d$event == 1]))
  nd <- sapply(ut, function(u) sum(d$time == u & d$event == 1))
  nr <- sapply(ut, function(u) sum(d$time >= u))
  before <- c(1, cumprod(1 - nd / nr))[seq_along(ut)]   # S(t-) at each distinct event time
  g <- 1 - before[match(et, ut)]
  xx <- g - mean(g)
  u <- drop(xx %*% s)
  stat <- sum(u * (f$var %*% u)) * f$nevent / sum(xx^2)
  c(chisq = stat, p = pchisq(stat, ncol(s), lower.tail = FALSE))
}

tests_of <- function(f, d) {
  z <- cox.zph(f, transform = "km")$table
  c(score_global = z["GLOBAL", "p"], approximation_global = old_global(f, d)[["p"]],
    score_term = z["treatment", "p"], score_global_chisq = z["GLOBAL", "chisq"])
}

set.seed(seed)
for (ep in c("pfs", "os")) {
  d <- design(ep)
  if (!is.na(pydir)) {   # the same design matrix as the book's cox.design_matrix (exported frame)
    py <- read.csv(file.path(pydir, paste0("design_", ep, ".csv")))
    names(py)[names(py) == "duration"] <- "time"
    stopifnot(identical(names(py), names(d)), isTRUE(all.equal(as.matrix(py), as.matrix(d),
                                                               check.attributes = FALSE)))
  }
  f <- coxph(Surv(time, event) ~ ., data = d, ties = "efron")
  obs <- tests_of(f, d)
  cat(sprintf("%s: n %d, events %d, terms %d; observed: GLOBAL chisq %.6f (p %.7g), 2.x global %.6f (p %.6g), arm p %.7g\n",
              toupper(ep), nrow(d), sum(d$event), length(coef(f)), obs[["score_global_chisq"]],
              obs[["score_global"]], old_global(f, d)[["chisq"]], obs[["approximation_global"]],
              obs[["score_term"]]))
  cat("  beta:", paste(sprintf("%s %.6f", names(coef(f)), coef(f)), collapse = ", "), "\n")
  X <- as.matrix(d[, -(1:2)])
  lp <- drop(X %*% coef(f))
  rate <- exp(lp - mean(lp))
  share <- mean(d$event)
  cens <- uniroot(function(c) mean(rate / (rate + c)) - share, c(1e-12, 1e12), tol = 1e-14)$root
  cat(sprintf("  share of events %.6f, censoring rate %.8g\n", share, cens))
  res <- matrix(NA_real_, reps, 4, dimnames = list(NULL, c("score_global", "approximation_global",
                                                         "score_term", "events")))
  warned <- logical(reps); failed <- logical(reps)
  for (i in seq_len(reps)) {
    t <- rexp(nrow(d), rate); cc <- rexp(nrow(d), cens)
    sim <- d; sim$time <- pmin(t, cc); sim$event <- as.integer(t <= cc)
    if (sum(sim$event) == 0) { failed[i] <- TRUE; next }
    w <- FALSE
    fit <- withCallingHandlers(coxph(Surv(time, event) ~ ., data = sim, ties = "efron"),
                               warning = function(m) { w <<- TRUE; invokeRestart("muffleWarning") })
    warned[i] <- w
    r <- tryCatch(tests_of(fit, sim), error = function(e) NULL)
    if (is.null(r)) { failed[i] <- TRUE; next }
    res[i, ] <- c(r[1:3], sum(sim$event))
  }
  ran <- !failed
  kept <- ran & !warned
  rate_of <- function(rows) colMeans(res[rows, 1:3, drop = FALSE] < 0.05)
  se <- function(p, n) sqrt(p * (1 - p) / n)
  rk <- rate_of(kept); ra <- rate_of(ran)
  cat(sprintf("  %d replicates (seed %d): kept %d (no warning, tests ran), warned %d, failed %d; mean events %.2f\n",
              reps, seed, sum(kept), sum(warned & ran), sum(failed), mean(res[kept, "events"])))
  cat(sprintf("  kept:     GLOBAL exact %.4f (SE %.4f), 2.x global %.4f (SE %.4f), arm exact %.4f (SE %.4f)\n",
              rk[1], se(rk[1], sum(kept)), rk[2], se(rk[2], sum(kept)), rk[3], se(rk[3], sum(kept))))
  cat(sprintf("  kept, rejections: GLOBAL exact %d, 2.x global %d, arm exact %d of %d\n",
              sum(res[kept, 1] < 0.05), sum(res[kept, 2] < 0.05), sum(res[kept, 3] < 0.05), sum(kept)))
  cat(sprintf("  all %d fits: GLOBAL exact %.4f, 2.x global %.4f, arm exact %.4f\n",
              sum(ran), ra[1], ra[2], ra[3]))
}
