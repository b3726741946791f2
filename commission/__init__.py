"""commission: pays sales reps commission on cash collected."""
