"""Unit tests for the clinical-content guard (decision 0016).

Every example here was written for these tests, by the author of the guard; none comes from the
blind evaluation set (tests/data/clinical_eval.jsonl), which these tests do not read. They say
that the rules do what they were written to do, not how accurate the guard is on real messages.
"""

from __future__ import annotations

import dataclasses
import random
import re
import warnings
from typing import Any

import pytest

from quietline.safety.clinical import (
    _RULES,
    CATEGORIES,
    REASONS,
    ClinicalAssessment,
    _found,  # the cues behind an assessment, and the rules' keys, for the prefilter checks
    _Index,
    _word_set,
    _words,
    assess_clinical,
    normalise,
)

with warnings.catch_warnings():  # deprecated aliases of re's parser, kept for tools like this
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as sc
    import sre_parse

MEDICATION = "medication"
DIAGNOSIS = "diagnosis"
SYMPTOMS = "symptoms"
SESSION = "session_content"
RISK = "risk"
SUBSTANCE = "substance_use"
TESTS = "test_results"
PLAN = "treatment_plan"

CLINICAL: list[tuple[str, str]] = [
    # medication
    ("Dr. Patel sent the Zoloft refill to your pharmacy this morning.", MEDICATION),
    ("Just a reminder to take your sertraline with food so the nausea settles.", MEDICATION),
    ("She's going up to 100 mg starting Monday.", MEDICATION),
    ("Can you call the client back about her Lexapro dose?", MEDICATION),
    ("The prescriber wants to taper him off the Klonopin over the next month.", MEDICATION),
    ("Your refill request for the Adderall was approved.", MEDICATION),
    ("Are the side effects from the new medication any better?", MEDICATION),
    ("Did you pick up your meds from CVS yet?", MEDICATION),
    ("He missed two doses of his Seroquel this week.", MEDICATION),
    ("Please remind her the lithium needs to be taken at the same time each night.", MEDICATION),
    ("She stopped taking her antidepressant without telling anyone.", MEDICATION),
    ("Trazodone 50mg at bedtime seems to be helping him sleep.", MEDICATION),
    ("the psychiatrist is switching him from wellbutrin to effexor", MEDICATION),
    ("Your Vyvanse prescription needs a new prior auth from the pharmacy.", MEDICATION),
    ("Mom says he's been skipping his Abilify shots.", MEDICATION),
    ("Her med check with the NP got moved to the 14th.", MEDICATION),
    ("pls bring ur pill organizer so we can go over the doses", MEDICATION),
    ("Is she still on Xanax as needed or did they switch to buspirone?", MEDICATION),
    ("Hi Sam, the pharmacy says your Prozac is ready for pickup.", MEDICATION),
    ("just checking the new pills aren't making you too sleepy", MEDICATION),
    ("Dr. Ruiz increased her Lamictal to 150.", MEDICATION),
    ("Are you still taking the melatonin at night?", MEDICATION),
    ("He ran out of his Concerta and the school is asking.", MEDICATION),
    ("Quick q - can she take Benadryl with her Zoloft?", MEDICATION),
    ("The new prescription should be sent over by end of day.", MEDICATION),
    ("Client requests an early refill, she's traveling.", MEDICATION),
    ("He says the gabapentin makes him dizzy.", MEDICATION),
    ("Nurse wants to know if he's compliant with his meds.", MEDICATION),
    ("Let me know if the dosage change helps with the jitteriness.", MEDICATION),
    ("She's been on Ozempic since June and her appetite is way down.", MEDICATION),
    ("Client is on methadone and goes to the clinic daily.", MEDICATION),
    ("Hey, how's the new med working for you so far?", MEDICATION),
    ("Reminder to call in your refill before Friday so you don't run out.", MEDICATION),
    ("Her psychiatrist bumped the Wellbutrin up to 300.", MEDICATION),
    ("Did the doctor say you can stop the Ativan?", MEDICATION),
    ("He's been cheeking his meds at the group home.", MEDICATION),
    (
        "Make sure she brings her medication bottles to the appointment so we can reconcile.",
        MEDICATION,
    ),
    ("The new SSRI is giving him headaches.", MEDICATION),
    ("She's nervous about starting an antidepressant.", MEDICATION),
    ("FYI client is on Suboxone, 8mg daily.", MEDICATION),
    ("Your son's ADHD medication needs a new script each month.", MEDICATION),
    ("She's worried she's addicted to her Xanax.", MEDICATION),
    (
        "Can we move your appointment to 4? Also, how are you doing on the new dose of Lexapro?",
        MEDICATION,
    ),
    ("Running late! Also - did the sleep meds help at all?", MEDICATION),
    ("He's off his meds again and his mom is worried.", MEDICATION),
    ("He wants to come off the Prozac before the wedding.", MEDICATION),
    ("Her Abilify was increased to 10mg.", MEDICATION),
    (
        "Hi Maya, quick reminder your Strattera refill is due, please call Dr. Osei's office.",
        MEDICATION,
    ),
    ("She's weaning off the Effexor and the brain zaps are awful.", MEDICATION),
    ("Don't forget to take your evening dose before bed.", MEDICATION),
    ("He wants to know if he can drink while on Antabuse.", MEDICATION),
    ("Please confirm you got the new script from Dr. Lin.", MEDICATION),
    ("The pharmacy is out of Vyvanse again, can Dr. K send it somewhere else?", MEDICATION),
    ("Mom asked if the melatonin is safe to give with his Risperdal.", MEDICATION),
    ("Client is taking 2 mg of Klonopin at night.", MEDICATION),
    ("He says his new medication makes him feel flat.", MEDICATION),
    ("We'll add a medication consult to the plan.", MEDICATION),
    ("We will taper off the Klonopin slowly over the next month.", MEDICATION),
    ("His blood sugar has been all over the place since starting Zyprexa.", MEDICATION),
    ("We need updated vitals and weight before the med review.", MEDICATION),
    ("I'm recommending she see a psychiatrist about medication.", MEDICATION),
    # diagnosis
    ("The intake confirmed a PTSD diagnosis.", DIAGNOSIS),
    ("Her son was diagnosed with ADHD last spring.", DIAGNOSIS),
    ("Billing note: primary dx F32.1, secondary F41.1.", DIAGNOSIS),
    ("He has bipolar II and the mania usually starts in spring.", DIAGNOSIS),
    ("We think there's an eating disorder going on, possibly anorexia.", DIAGNOSIS),
    ("The school thinks she might be on the spectrum.", DIAGNOSIS),
    ("Client meets criteria for generalized anxiety disorder.", DIAGNOSIS),
    ("His OCD has been flaring with the new job.", DIAGNOSIS),
    ("Given the depression, I'd like to see her weekly for now.", DIAGNOSIS),
    ("Her borderline personality disorder makes group hard for her.", DIAGNOSIS),
    ("The psychiatrist is ruling out schizophrenia.", DIAGNOSIS),
    ("pt's dx is MDD, recurrent", DIAGNOSIS),
    ("Your son's diagnosis paperwork is ready; it lists ADHD combined type.", DIAGNOSIS),
    (
        "Just wanted to say I know PTSD makes crowds hard, so we can meet in the back room.",
        DIAGNOSIS,
    ),
    ("He has a history of psychosis, please keep that in mind when you call.", DIAGNOSIS),
    ("The referral says major depressive disorder, recurrent, moderate.", DIAGNOSIS),
    ("I know the bulimia has been hard to talk about.", DIAGNOSIS),
    ("Client's new dx is social anxiety disorder.", DIAGNOSIS),
    ("Given his Asperger's he might prefer text reminders.", DIAGNOSIS),
    ("The dementia is progressing and her daughter will come with her now.", DIAGNOSIS),
    ("Her binge eating has improved a lot.", DIAGNOSIS),
    ("Her OCD symptoms are worse.", DIAGNOSIS),
    ("He's been diagnosed with major depression.", DIAGNOSIS),
    ("She told me about her OCD diagnosis last week.", DIAGNOSIS),
    (
        "The evaluation concluded generalized anxiety disorder and ADHD, inattentive type.",
        DIAGNOSIS,
    ),
    ("Client's primary diagnosis is PTSD; secondary is alcohol use disorder.", DIAGNOSIS),
    ("Her insurance requires the diagnosis code - it's F43.10.", DIAGNOSIS),
    ("Please note his schizoaffective disorder when scheduling group.", DIAGNOSIS),
    ("He's autistic and prefers written instructions.", DIAGNOSIS),
    ("I suspect postpartum depression, can we get her in this week?", DIAGNOSIS),
    ("Insurance needs the adjustment disorder diagnosis on the claim.", DIAGNOSIS),
    ("Sorry to hear the depression has been heavy this week.", DIAGNOSIS),
    ("She needs a letter confirming her PTSD diagnosis for her landlord.", DIAGNOSIS),
    ("Can you send the ESA letter? Her anxiety disorder qualifies.", DIAGNOSIS),
    ("Her eating disorder team wants weekly weigh-ins.", DIAGNOSIS),
    ("She's been diagnosed with borderline personality disorder.", DIAGNOSIS),
    ("Her daughter has been dx'd with an eating disorder.", DIAGNOSIS),
    ("Given his bipolar disorder, we'll watch for sleep changes.", DIAGNOSIS),
    ("He struggles with social anxiety, so please text instead of calling.", DIAGNOSIS),
    ("F41.1 on the claim for Lee, please.", DIAGNOSIS),
    ("Ruling out PTSD vs. adjustment disorder.", DIAGNOSIS),
    ("The school psych's testing shows a reading disorder.", DIAGNOSIS),
    ("Superbill: 309.81 and 296.32 for March.", DIAGNOSIS),
    ("He's being referred to an eating disorder program.", DIAGNOSIS),
    # symptoms
    ("He had two panic attacks at work this week.", SYMPTOMS),
    ("She's been having flashbacks since the accident.", SYMPTOMS),
    ("The insomnia is back and she's sleeping maybe 3 hours a night.", SYMPTOMS),
    ("He told me the intrusive thoughts are worse at night.", SYMPTOMS),
    ("She mentioned hearing voices again when she's alone.", SYMPTOMS),
    ("Client reports feeling hopeless most days.", SYMPTOMS),
    ("He's been really depressed since the divorce.", SYMPTOMS),
    ("Her nightmares have gotten worse this month.", SYMPTOMS),
    ("She's been dissociating in class.", SYMPTOMS),
    ("He's struggling with racing thoughts and mood swings.", SYMPTOMS),
    ("Client says she's been restricting food again.", SYMPTOMS),
    ("He's been having trouble sleeping since the move.", SYMPTOMS),
    ("He shared that he's been having really dark thoughts lately.", SYMPTOMS),
    ("She panics in the car and has to pull over - second time this week.", SYMPTOMS),
    ("Is he still waking up screaming at night?", SYMPTOMS),
    ("Her anxiety has been through the roof since the layoff.", SYMPTOMS),
    ("He says he can't stop checking the locks, up to 40 times before leaving.", SYMPTOMS),
    ("She's been crying every day and not eating much.", SYMPTOMS),
    ("He mentioned the paranoia about his neighbors is back.", SYMPTOMS),
    ("Since the assault she's been jumpy and hypervigilant.", SYMPTOMS),
    ("She feels numb and disconnected most of the time.", SYMPTOMS),
    ("Her hallucinations got worse after she stopped sleeping.", SYMPTOMS),
    ("I'd recommend stepping down to biweekly sessions once the panic settles.", SYMPTOMS),
    ("He's been super irritable and not sleeping, I think it's a manic episode.", SYMPTOMS),
    ("She's had three panic attacks since Sunday.", SYMPTOMS),
    ("He keeps having nightmares about the crash.", SYMPTOMS),
    ("She's been feeling really hopeless and stopped going to work.", SYMPTOMS),
    ("Client reports derealization episodes at night.", SYMPTOMS),
    ("He says the intrusive images come back whenever he drives.", SYMPTOMS),
    ("She says she hasn't been eating and sleeps all day.", SYMPTOMS),
    ("Her compulsions are taking up 3 hours a day now.", SYMPTOMS),
    ("He mentioned he's been isolating in his room all weekend.", SYMPTOMS),
    ("I noticed you seemed really down in group today, want to talk?", SYMPTOMS),
    ("The voices told him not to come today.", SYMPTOMS),
    ("His mom says he's stopped eating dinner and locks himself in his room.", SYMPTOMS),
    ("She said the nightmares stopped after the prazosin.", SYMPTOMS),
    ("She's been having panic attacks on the bus.", SYMPTOMS),
    ("He's been hearing his dead brother's voice at night.", SYMPTOMS),
    ("She's been self-isolating and crying a lot.", SYMPTOMS),
    ("He says he's been feeling empty inside for weeks.", SYMPTOMS),
    ("She told me the flashbacks are worse around the anniversary.", SYMPTOMS),
    ("He is hypervigilant in crowds since the shooting.", SYMPTOMS),
    ("I know the insomnia has been rough; we'll talk more Thursday.", SYMPTOMS),
    ("Our goals for therapy are fewer panic attacks and getting back on the bus.", SYMPTOMS),
    ("The plan is to move her to every other week once the nightmares ease.", SYMPTOMS),
    ("She's been picking at her skin until it bleeds.", SYMPTOMS),
    ("He's been pulling his hair out again, literally.", SYMPTOMS),
    ("She called crying, says she can't stop shaking and her heart is racing.", SYMPTOMS),
    ("He said he felt like the walls were closing in and couldn't breathe at the store.", SYMPTOMS),
    # session content
    (
        "Like we talked about in session, try the breathing exercise when you notice the tension.",
        SESSION,
    ),
    ("Don't forget your homework: fill in the thought log each evening.", SESSION),
    ("Great job on the exposure practice this week - try level 4 on the ladder next.", SESSION),
    ("Keep using the DBT skills we practiced, especially TIPP.", SESSION),
    ("Thanks for sharing what happened with your dad in session today.", SESSION),
    ("I'd like to continue the EMDR processing next week.", SESSION),
    ("Please bring your diary card to group on Thursday.", SESSION),
    ("Remember the grounding technique: 5 4 3 2 1.", SESSION),
    ("In our last session you mentioned feeling guilty about your mom's illness.", SESSION),
    ("We'll keep working on the cognitive distortions from the worksheet.", SESSION),
    ("I've been thinking about what you shared about your childhood.", SESSION),
    ("Try the opposite action skill when the urge to isolate comes up.", SESSION),
    ("Remember to write down your automatic thoughts when you feel that spike.", SESSION),
    ("Next session we'll do the imaginal exposure for the car accident memory.", SESSION),
    ("I'm proud of how much you opened up today about your brother.", SESSION),
    ("Keep practicing the self-compassion exercise we tried.", SESSION),
    ("Can you try 10 minutes of the body scan each night?", SESSION),
    ("Following up on our conversation about your marriage - no pressure to decide yet.", SESSION),
    ("It sounded like the anger toward your father came up a lot this week.", SESSION),
    ("We'll pick the role-play back up next week, the one with your boss.", SESSION),
    ("Here's the worksheet on cognitive distortions we talked about.", SESSION),
    ("Recommend adding a DBT skills group to his plan.", SESSION),
    ("Your homework is to notice when the worry shows up and write it down.", SESSION),
    ("Remember your coping skills this week - the ice cube and the walk both helped.", SESSION),
    ("Today we worked on your inner critic; keep noticing it this week.", SESSION),
    ("Next time let's go over the exposure hierarchy and pick the next step.", SESSION),
    ("Thank you for trusting me with what happened when you were a kid.", SESSION),
    ("Keep filling in the mood tracker each night.", SESSION),
    ("I was thinking about what you said about your mom in session.", SESSION),
    ("Try the radical acceptance skill when the anger about the divorce comes up.", SESSION),
    ("Good work on the CBT worksheet, we'll review it Thursday.", SESSION),
    ("We'll keep processing the assault memory with EMDR next week.", SESSION),
    (
        "Hi Jen, keep up with the breathing exercises we practiced, and I'll see you Tuesday at 3.",
        SESSION,
    ),
    ("We'll start the trauma narrative next week, go gently on yourself.", SESSION),
    ("We're going to try prolonged exposure for the PTSD.", SESSION),
    ("Just checking in after yesterday - did you use the TIPP skills when you got home?", SESSION),
    ("As we discussed today, try to catch the 'should' statements this week.", SESSION),
    ("Here's the handout on sleep hygiene we went through.", SESSION),
    ("Keep up the journaling about your triggers.", SESSION),
    ("How did the exposure at the grocery store go?", SESSION),
    ("You did such hard work today talking about your father.", SESSION),
    ("Let's keep exploring the grief around your mom next time.", SESSION),
    ("Practice the wise mind exercise before your sister's visit.", SESSION),
    ("Thanks for sharing that with me today, it took courage.", SESSION),
    ("Thank you for opening up about your dad.", SESSION),
    ("The kids were traumatized by what they saw.", SESSION),
    ("We're going to pause EMDR until things stabilize at home.", SESSION),
    # risk
    ("Please review your safety plan before the weekend.", RISK),
    ("He disclosed suicidal thoughts at the end of session.", RISK),
    ("She's been self-harming again, can we talk about next steps?", RISK),
    ("Client was hospitalized over the weekend after an overdose.", RISK),
    ("If the urges to hurt yourself come back, call 988.", RISK),
    ("We need to do a risk assessment before she leaves today.", RISK),
    ("Mom called, he was taken to the ER last night.", RISK),
    ("Client denies SI/HI, safety plan reviewed.", RISK),
    ("He said he has access to a gun at home.", RISK),
    ("CPS report was filed this morning.", RISK),
    ("She disclosed domestic violence at home.", RISK),
    ("She said she doesn't want to be alive anymore.", RISK),
    ("He's had thoughts of killing himself this week, please call me.", RISK),
    ("Please remove the firearms from the home as we discussed.", RISK),
    ("She's in the psych unit at County until Friday.", RISK),
    ("He made an attempt in 2019 and was inpatient for two weeks.", RISK),
    ("I'm worried about her safety tonight, can you do a check in?", RISK),
    ("He cut himself again on Sunday.", RISK),
    ("We may need to call for a welfare check if she doesn't answer.", RISK),
    ("She's scared of her husband and doesn't feel safe at home.", RISK),
    ("He told his teacher he wants to die.", RISK),
    ("Client reported passive SI but no plan.", RISK),
    ("He says he's been thinking about ending his life.", RISK),
    ("She had a suicide attempt last spring.", RISK),
    ("Client disclosed self-harm - superficial cuts on forearm.", RISK),
    (
        "If you have thoughts of hurting yourself before our next session, please go to the ER.",
        RISK,
    ),
    ("We reviewed her crisis plan and she has the hotline number.", RISK),
    ("His mom removed the guns from the house after our call.", RISK),
    ("She was admitted to the psych hospital on Saturday.", RISK),
    ("He's been talking about wanting to die, I've called his wife.", RISK),
    ("Please complete a suicide risk assessment with him today.", RISK),
    ("She reported her partner hit her again.", RISK),
    ("Tom's mom called - he's been cutting again. Can you call her back?", RISK),
    ("Please reschedule Ana, she's inpatient at St. Mary's until Monday.", RISK),
    ("He's been having suicidal thoughts again; safety plan updated.", RISK),
    ("He talked about his suicidal thoughts in session.", RISK),
    ("She has a plan to overdose, I'm calling 911.", RISK),
    ("He was on a 5150 hold over the weekend.", RISK),
    ("She burned herself with a lighter last week.", RISK),
    ("Please call me if you feel unsafe or have thoughts of harming yourself.", RISK),
    ("His dad threatened to kill him; CPS has been notified.", RISK),
    ("He made an attempt in 2019 and still has thoughts of dying.", RISK),
    ("She was put on a 5150 hold last night.", RISK),
    ("Call 988 if the urges come back tonight.", RISK),
    ("Sending the crisis line number again in case the urges come back tonight.", RISK),
    ("Her son told the school counselor he wants to kill himself.", RISK),
    ("He showed me the cuts on his arm.", RISK),
    ("She's staying with her sister until the protective order is in place.", RISK),
    # substance use
    ("He relapsed over the weekend after 90 days sober.", SUBSTANCE),
    ("She's been drinking every night since the funeral.", SUBSTANCE),
    ("Congrats on six months of sobriety!", SUBSTANCE),
    ("Did you make it to your AA meeting this week?", SUBSTANCE),
    ("He admitted he's been using again.", SUBSTANCE),
    ("Client came to session high on Tuesday.", SUBSTANCE),
    ("Her cannabis use has picked up a lot.", SUBSTANCE),
    ("He's going through withdrawal and feels awful.", SUBSTANCE),
    ("She's thinking about going to rehab after the holidays.", SUBSTANCE),
    ("Your sponsor called and asked you to call back.", SUBSTANCE),
    ("hes been drinkin again tbh", SUBSTANCE),
    ("He smoked weed before group again.", SUBSTANCE),
    ("She's up to a bottle of wine a night.", SUBSTANCE),
    ("he's been clean for 2 years now, so proud of him", SUBSTANCE),
    ("She's worried her vaping is getting out of hand.", SUBSTANCE),
    ("He missed session because he was hungover.", SUBSTANCE),
    ("His opioid use started after the back surgery.", SUBSTANCE),
    ("She had a slip last weekend but called her sponsor.", SUBSTANCE),
    ("Did he tell you he's been buying pills off the street?", SUBSTANCE),
    ("He blacked out drinking on Saturday.", SUBSTANCE),
    ("He's three weeks sober and going to meetings.", SUBSTANCE),
    ("She admitted to drinking before work most days.", SUBSTANCE),
    ("He's been smoking a lot of weed to sleep.", SUBSTANCE),
    ("He relapsed on heroin and is in detox.", SUBSTANCE),
    ("She's cutting back on drinking and feels better.", SUBSTANCE),
    ("He's been going to NA meetings twice a week.", SUBSTANCE),
    ("Client uses meth on weekends.", SUBSTANCE),
    ("Client is 2 weeks out of detox and wants to restart sessions.", SUBSTANCE),
    ("Great job staying sober over the holidays!", SUBSTANCE),
    ("Client reports 4 drinks a night, up from 2.", SUBSTANCE),
    ("She's been drinking heavily since the breakup.", SUBSTANCE),
    ("He's using coke on weekends.", SUBSTANCE),
    ("She's 60 days clean today!", SUBSTANCE),
    ("He's been to two AA meetings this week.", SUBSTANCE),
    ("Client admits to daily marijuana use.", SUBSTANCE),
    ("Her gambling has gotten out of control.", SUBSTANCE),
    ("She's been buying pills off the street.", SUBSTANCE),
    ("He's been clean since June and is going to meetings.", SUBSTANCE),
    ("She says she gets high before work most days.", SUBSTANCE),
    ("He's worried his drinking is affecting his marriage.", SUBSTANCE),
    ("She's back on the pills she was addicted to.", SUBSTANCE),
    ("Client has been sober 18 months, celebrating her chip this weekend.", SUBSTANCE),
    # test results
    ("Your PHQ-9 score went down from 18 to 11, nice work.", TESTS),
    ("Her GAD-7 was 15 at intake.", TESTS),
    ("The lab results came back and his lithium level is a bit high.", TESTS),
    ("Can you send me his psych eval from last year?", TESTS),
    ("The neuropsych testing report is in his chart.", TESTS),
    ("She scored in the moderately severe range on the screener.", TESTS),
    ("The urine drug screen was positive for THC.", TESTS),
    ("His bloodwork looked normal.", TESTS),
    ("Her autism evaluation is next month.", TESTS),
    ("The PCL-5 at intake was 52.", TESTS),
    ("Her thyroid panel came back normal, so it's not that.", TESTS),
    ("His AUDIT score was 19.", TESTS),
    ("The Beck Depression Inventory showed mild symptoms.", TESTS),
    ("I'll email you the results of your ADHD testing.", TESTS),
    ("Her A1C is up so her doctor wants to adjust things.", TESTS),
    ("His tox screen came back clean.", TESTS),
    ("Your Columbia screen today was positive, let's talk.", TESTS),
    ("His urine screen was positive for fentanyl.", TESTS),
    ("Her PHQ-9 today was 22.", TESTS),
    ("His GAD-7 dropped to 6, great progress.", TESTS),
    ("The psychological evaluation results are ready to review.", TESTS),
    ("Her labs showed low vitamin D and high TSH.", TESTS),
    ("The neuropsych found a processing speed deficit.", TESTS),
    ("Please send the ASRS and Vanderbilt forms to the teacher.", TESTS),
    ("His Y-BOCS went from 28 to 19.", TESTS),
    ("Your psychiatrist wants labs drawn before the next med visit.", TESTS),
    ("Your results from the ADHD assessment are ready; let's go over them Thursday.", TESTS),
    ("His breathalyzer at intake was 0.08.", TESTS),
    ("Her lithium level came back at 1.1.", TESTS),
    ("Your PCL-5 went down a lot, awesome.", TESTS),
    ("His liver enzymes were elevated on the last labs.", TESTS),
    ("She scored 14 on the EPDS.", TESTS),
    ("Her IQ testing came back average.", TESTS),
    ("Before Thursday, could you fill out the PHQ-9 again so we can compare?", TESTS),
    ("Your score on the anxiety questionnaire went up a bit, let's talk about it.", TESTS),
    ("The psychologist's report says his working memory is in the low average range.", TESTS),
    ("Her drug screen came back negative.", TESTS),
    ("We got the results of his sleep study.", TESTS),
    ("Her hemoglobin A1c is 7.2.", TESTS),
    # treatment plan
    ("Your treatment goals for this month are to reduce avoidance and rebuild routines.", PLAN),
    ("Let's update your treatment plan at the next appointment.", PLAN),
    ("I think she needs a higher level of care, maybe IOP.", PLAN),
    ("We're referring him to a psychiatrist for a medication evaluation.", PLAN),
    ("Your discharge plan from the program is attached.", PLAN),
    ("We'll start termination of therapy in March.", PLAN),
    ("The care plan says two sessions a week plus group.", PLAN),
    ("Her progress toward her therapy goals has been slow.", PLAN),
    ("We'll revisit the goals in your treatment plan at 90 days.", PLAN),
    ("He's being discharged from the partial hospitalization program Friday.", PLAN),
    ("She's on the waitlist for residential treatment for her eating disorder.", PLAN),
    ("We agreed the focus of therapy for now is the grief.", PLAN),
    ("Client's plan of care was updated after the hospital stay.", PLAN),
    ("I'd like to add family sessions to her treatment plan.", PLAN),
    ("We're recommending an intensive outpatient program.", PLAN),
    ("His goal for therapy is to get back to work part-time.", PLAN),
    ("She's ready to step down to monthly sessions and we'll reassess goals in June.", PLAN),
    ("Referral to a psychiatrist for med management has been sent.", PLAN),
    ("Her treatment team meets Thursday to discuss discharge.", PLAN),
    ("Can you fax the treatment summary to his new psychiatrist?", PLAN),
    ("He's in residential treatment until March.", PLAN),
    ("Please email the discharge summary to her PCP.", PLAN),
    ("Let's talk about extending your treatment another 12 weeks.", PLAN),
    ("I'm recommending he go to a higher level of care.", PLAN),
    ("Per her treatment plan, group twice weekly plus individual.", PLAN),
    ("Discharge planning meeting for Sam is Monday at 2.", PLAN),
    ("We agreed on three goals: sleep, exercise, and calling her sister weekly.", PLAN),
    ("His insurance approved 12 more sessions of intensive outpatient.", PLAN),
]


# The everyday senses named in the issue, word for word.
ISSUE_HARD_NEGATIVES: list[str] = [
    "the printer is depressed",
    "I'm anxious about the parking lot",
    "Nothing like a dose of coffee before the 8am.",
    "the session timed out on the portal",
    "Tech diagnosed the wifi problem, it should be fixed now.",
    "Reminder: staff can use the prescription sunglasses discount at the optician downstairs.",
    "therapy dog visits friday",
    "No need to panic about the fire drill, it's at 10.",
    "The new carpet treatment in the waiting room is drying, use the side door.",
]

NOT_CLINICAL: list[str] = [
    "Your appointment is confirmed for Tuesday at 3pm in Room 4.",
    "Can we move Thursday's session to 4:30?",
    "Running 10 minutes late, sorry! Traffic on 5th is bad.",
    "Your next appointment is Monday the 12th at 10am.",
    "We need to reschedule - Dr. Lee is out sick tomorrow.",
    "The 2pm group is moving to Room B for the rest of the month.",
    "Please arrive 15 minutes early to complete your intake paperwork.",
    "I'm stuck in a meeting, can you let my 3:00 know I'll be 5 minutes late?",
    "Session is at 6 tonight, see you then!",
    "Is anyone free to cover the front desk from 12 to 1?",
    "Your balance is $45.00, you can pay online through the portal.",
    "The copay for your plan is $30 per visit.",
    "Your superbill for March is ready to download.",
    "Insurance denied the claim for the 4th, we're resubmitting.",
    "Payment of $120 received, thank you!",
    "Our fees are going up by $10 in January.",
    "The CPT code was wrong on last week's claim, billing fixed it.",
    "Please fill out the consent form before your first visit.",
    "Your release of information form is waiting for your signature.",
    "Please bring a list of your current medications and your insurance card to intake.",
    "The intake questionnaire is in the portal under Forms.",
    "Parking is free in the garage on Elm, take a ticket at the gate.",
    "The elevator is out, please use the stairs by the pharmacy entrance.",
    "We're in suite 210, next to the dentist.",
    "The Zoom link isn't working, here's a new one.",
    "If the video freezes, hang up and call back on the same link.",
    "Can you hear me? Your audio seems to have cut out.",
    "The telehealth session froze, I'll send a new link.",
    "Hope you have a great weekend!",
    "Thanks so much, see you next week.",
    "Happy holidays from all of us at the practice!",
    "Congrats on the new job!",
    "Sorry you're under the weather, feel better soon.",
    "Good luck on your exam, you've got this!",
    "The Great Depression exhibit at the library is worth a visit.",
    "Tropical depression warning: the office may close early Thursday.",
    "There's a depression in the parking lot where water pools, watch your step.",
    "Press the button hard, it needs to be fully depressed to open the gate.",
    "The stock market is depressed this week.",
    "My cat is so dramatic about the vacuum.",
    "Parking this morning was a total nightmare.",
    "The billing system migration has been a nightmare.",
    "Flashback Friday: photos from last year's holiday party!",
    "The weather has been so bipolar this week.",
    "I'm a little OCD about the supply closet labels, sorry!",
    "We're out of AA batteries for the wall clock.",
    "There's free drinking water in the lobby.",
    "Diet Coke or Sprite for the staff lunch?",
    "No smoking within 25 feet of the entrance.",
    "Hand sanitizer and alcohol wipes are on the front desk.",
    "Please stop using the old portal link after Friday.",
    "We are using the new scheduling system starting Monday.",
    "Can you refill the coffee and water before the 9am group?",
    "The printer needs a toner refill.",
    "Fire safety plan review is on the agenda for the staff meeting.",
    "HIPAA risk assessment is due at the end of the quarter.",
    "The new hire's drug test came back, HR says she can start Monday.",
    "Cutting it close, but I'll make it by 3.",
    "The HVAC tech ran diagnostics on the furnace.",
    "The speed test results show the wifi is the problem.",
    "Survey results came back: everyone wants the holiday party on Friday.",
    "I'm so sorry for your loss, take all the time you need.",
    "We have a staffing crisis at the front desk today, please be patient.",
    "The window treatments in room 3 are being replaced.",
    "The treatment room on the 2nd floor is booked for the massage therapist.",
    "My son has math homework tonight so I'm leaving at 4.",
    "The traffic was killing me this morning.",
    "Sobering news: the rent on the office is going up.",
    "Please drop off the signed forms with Jordan at reception.",
    "The high school parking lot is closed on Friday.",
    "The smoke detector in the hallway triggered again, maintenance is on it.",
    "We could hear voices from the waiting room through the wall, ordering a white noise machine.",
    "Don't hurt yourself carrying those boxes up the stairs!",
    "Stay safe on the roads, the snow is coming down hard.",
    "The lithium batteries for the thermostat are in the supply closet.",
    "We're out of Tylenol in the first aid kit.",
    "That was a tough pill to swallow, but the budget is final.",
    "Suicide prevention training for all clinicians is Friday at 2 in the conference room.",
    "Dr. Kim specializes in anxiety, OCD and trauma and has openings on Tuesdays.",
    "The office is closed Monday. If you are in crisis, call 988 or go to your nearest ER.",
    "Your recovery from knee surgery sounds slow, hope the rehab goes well!",
    "The ATM withdrawal limit at the bank downstairs is $500.",
    "Quick shot of espresso and I'm ready for the 9am.",
    "I'm addicted to this new coffee place across the street.",
    "The new vending machine has healthier snacks.",
    "The therapy room smells like fresh paint, we'll use room 2.",
    "Couples session moved to 5pm, both partners confirmed.",
    "Your family therapy appointment is next Wednesday at noon.",
    "Group therapy is cancelled this week due to the holiday.",
    "The assessment appointment is 90 minutes, please plan accordingly.",
    "Your intake assessment is Thursday at 2pm.",
    "We can switch you to telehealth if the roads are bad.",
    "Sorry, I'm running late - my toddler wasn't sleeping and I overslept.",
    "Please don't leave cigarette butts by the door.",
    "The sharps container in the restroom is full, can someone call the vendor?",
    "Our clinic is trauma-informed and wheelchair accessible.",
    "The dog has separation anxiety when I leave for work, lol.",
    "I need a break after that meeting.",
    "The new carpet looks great, thank you for arranging it.",
    "Please be aware the session will end at 50 minutes.",
    "Happy birthday! Hope it's a great one.",
    "Is it ok to text you at this number for scheduling?",
    "Hi! Just confirming you're still good for 3:15 tomorrow?",
    "We moved to the 4th floor - same building, new suite.",
    "Sorry, my 2 o'clock ran over, be there in 10.",
    "The card on file was declined, could you update it in the portal?",
    "Your statement shows a credit of $15.",
    "Please remember masks are optional in the waiting room now.",
    "Can someone restock the tissues in room 5?",
    "The building's water will be off Saturday morning.",
    "The front door code changed to 4521.",
    "Is Friday at 11 or Monday at 9 better for you?",
    "Friendly reminder: we need 24 hours notice to cancel.",
    "The link expired, use this one: zoom.us/j/123",
    "Your camera was off, were you able to hear us?",
    "We'll be closed for Thanksgiving on Thursday and Friday.",
    "Thanks for letting me know, drive safely!",
    "The coffee machine in the staff kitchen is broken again.",
    "The new hire starts Monday; please say hi!",
    "Did anyone leave a blue umbrella in room 3?",
    "Our sliding scale starts at $60 per session.",
    "Please sign the updated privacy notice when you get a chance.",
    "Lunch is on us Friday - tacos from the place on Main.",
    "Staff meeting moved to 1pm in the conference room.",
    "Please return the keys to the front desk when you leave.",
    "Please use the back entrance, the lobby floors are being waxed.",
    "The printer on 2 is jammed again.",
    "Our fax number changed, see the new one in the signature.",
    "If you need a receipt for your HSA, I can email one.",
    "Sorry, I double-booked room 6. Can you take room 7 instead?",
    "Thanks for your patience while we switch EHR vendors.",
    "Happy New Year! Office reopens on the 2nd.",
    "I'm sick today so I'll do all my sessions by video.",
    "The dentist next door is doing construction, it may be noisy.",
    "The kids' school called so I need to leave at 3.",
    "Welcome to the practice! Your clinician will text you from this number.",
    "Can you remind me how to reset my portal password?",
    "The heating is on the fritz, bring a sweater.",
    "Our new receptionist is Dana, she's great.",
    "Gonna be a few min late, the bus broke down.",
    "The waiting room TV is stuck on the weather channel.",
    "Is your new address still 12 Oak St?",
    "We got the voicemail, will call you back after 2.",
    "The office plants look depressed, can someone water them?",
    "I'm so stressed about this parking situation lol.",
    "Feeling under the weather, cancelling my 4pm.",
    "We had a power blackout this morning, phones are back now.",
    "Huge thanks for covering the desk, you're a lifesaver.",
    "The economy is so depressing right now.",
    "That meeting was painful, but we got through it.",
    "This spreadsheet is going to give me a panic attack lol.",
    "The holiday party will have non-alcoholic drinks too.",
    "Dr. Chen's prescription pad is locked in her office.",
    "The copier is dead, we ordered a new one.",
    "Whoever fixed the wifi, you're a hero.",
    "Sorry for the mix-up with your invoice, it's corrected now.",
    "Let's circle back on the parking validation after lunch.",
    "Parking validation is at the front desk, don't forget!",
    "We're switching to a new phone system next week, expect hiccups.",
    "Your new clinician, Alex, will see you at the same time.",
    "Traffic is insane on the bridge, leave early.",
    "Can you bring the extra chairs to the group room?",
    "The group room is booked for the yoga class Saturday.",
    "The elevator inspection passed, all good.",
    "Please don't park in the doctor-only spots.",
    "FYI the pharmacy downstairs closes at 6 now.",
    "The after-hours line now goes to the answering service.",
    "Thanks for the cookies, the whole team loved them!",
    "Your session is at 2, but the portal shows 3 - the portal is wrong.",
    "Sorry, I'm running behind; my morning was chaos.",
    "There's construction on the highway, so expect delays.",
    "Please update your emergency contact in the portal.",
    "The receipts for last year are available under Billing.",
    "Our new hours are 8 to 6, Monday through Thursday.",
    "The new portal login page looks different, but it's legit.",
    "Could you fill out the feedback survey? It takes 2 minutes.",
    "I can't make the 11 o'clock staff meeting, my car is in the shop.",
    "Could you get the mold treatment scheduled for the basement storage room?",
    "Reminder: the flu shot clinic for staff is Wednesday in the break room.",
    "Heads up, the flu vaccine may cause mild side effects like a sore arm.",
    "We'll have therapy dogs in the lobby during finals week.",
    "The parking lot is icy, please take it slow.",
    "Your daughter dropped off your forms, thank you!",
    "Her assessment slot is Tuesday 9-11am, please confirm.",
    "The fire alarm test results are in, everything passed.",
    "Great news: our practice got a 5-star review!",
    "Our clinicians attended a workshop on ADHD in adults last week.",
    "Can you text me the door code for the back office?",
    "Would 9:30 on Friday work instead?",
    "Just a heads up that I'm 15 min behind today.",
    "Reminder: clocks change this weekend, double check your appointment time.",
    "The parking garage is full, there's street parking on Oak.",
    "Your co-pay is $25 today.",
    "Please send me a photo of the front and back of your insurance card.",
    "We've updated our cancellation policy, see attached.",
    "Hi, this is Maria from the front desk confirming Monday at 11.",
    "The heater in room 3 is broken, please use room 5 today.",
    "Can we do video instead of in person this week? My car's in the shop.",
    "Looks like the link went to spam, check your junk folder.",
    "Thanks for the kind note, it made my day.",
    "Good morning! Just confirming our call at 2.",
    "See you Thursday, stay warm!",
    "Hope your trip went well!",
    "Congrats on your graduation!",
    "The fire drill is at 10:15; please escort clients out the side door.",
    "The new copier is faster but the scanner is wonky.",
    "The wifi password is on the whiteboard.",
    "We're out of paper towels in the restroom.",
    "Don't forget to submit your timesheets by Friday.",
    "Can someone sign for the package at reception?",
    "I left my charger in room 2, could you grab it?",
    "New staff lunch is Wednesday at noon in the break room.",
    "The landlord is coming to look at the leak on Tuesday.",
    "Please shred the old appointment printouts.",
    "Payroll will be a day late because of the holiday.",
    "Please clean out the staff fridge by Friday, anything left will be tossed.",
    "I'm going to be off next Monday, my appointments are moved to Tuesday.",
    "The ice machine is depressing to look at, it's leaking again.",
    "The office manager is anxious about the audit next week.",
    "This weather is giving me serious winter blues lol.",
    "Tax forms are due soon, don't panic!",
    "I totally blanked on the meeting, sorry!",
    "I'm obsessed with the new coffee machine.",
    "Monday mornings are a nightmare in the parking lot.",
    "Our EHR had a meltdown this morning but it's back up.",
    "The IT vendor will diagnose the network issue remotely.",
    "Can you give the waiting room a dose of fresh air, it's stuffy.",
    "The session cookie expired so you'll need to sign in again.",
    "Therapy llama visit was a hit, thank you!",
    "Everyone panicked when the fire alarm went off during group, but it was a false alarm.",
    "The carpet cleaning treatment is scheduled for Saturday.",
    "Prescription safety glasses are required in the lab downstairs.",
    "That report was a real trauma to put together lol.",
    "My brain is fried, I need a coffee.",
    "The fridge is full of expired yogurt, so gross.",
    "Heads up, the office will be sprayed for pests Friday night.",
    "Room 4 has the good chairs, grab it if you can.",
    "Happy Friday! Drinks after work anyone?",
    "I got a shot of espresso at the new place next door, highly recommend.",
    "The blood drive is in the lobby on Thursday, sign up if you can.",
    "The fundraiser raised $2,000 for the mental health nonprofit!",
    "Please use the side door; the main entrance is being painted.",
    "Sorry, the card reader is down; we'll send an invoice.",
    "I'll be at a training all day Thursday, text the front desk if you need to reschedule.",
    "We'll be closed for the staff retreat on the 15th.",
    "Can you move my 4pm to Room 1? The sound machine in Room 2 is broken.",
    "Your new patient paperwork is in your inbox.",
    "Let me know if the new time works, otherwise we'll find another slot.",
    "Please hold my 10am slot open for a new intake.",
    "Please remember to lock the filing cabinet at the end of the day.",
    "The plants in the lobby are looking sad, who's on watering duty?",
    "The vending machine ate my dollar again.",
    "Just a friendly reminder that we don't have a waiting list right now.",
    "Thanks for filling out the satisfaction survey!",
    "My kid's school has a half day so I'm leaving at noon.",
    "Our holiday card photo is Tuesday, wear something festive.",
    "I'm stuck on the highway, it's a parking lot.",
    "Your therapist is running 10 minutes behind.",
    "We received your intake forms, thanks!",
    "The office will be closed Monday for Memorial Day.",
    "Please remember to bring your insurance card.",
    "Your balance of $80 is due by the 15th.",
    "Dr. Smith is out sick, can we reschedule your Wednesday?",
    "I'm so depressed the coffee machine broke lol",
    "That new parking policy is insane.",
    "Prescription for a good Monday: coffee and a to-do list.",
    "High dose of caffeine needed today.",
    "Group was moved to the bigger room because of the turnout.",
    "Tested positive for covid, switching all my sessions to video this week.",
    "Clinical team meeting moved to 3pm.",
    "Case consultation is at noon in the library.",
    "Don't forget your progress notes are due Friday.",
    "Please complete your CEUs before your license renewal.",
    "Our new clinician joins Monday and will take the Thursday evening slots.",
    "Could you please confirm whether you'd like in-person or telehealth?",
    "The survey link isn't working, here's the new one.",
    "We're updating our HIPAA policies; the new notice is in the portal.",
    "Hi! We have a cancellation at 1pm today if you want an earlier slot.",
    "The therapy office on the 3rd floor is being renovated.",
    "The trauma center at the hospital across the street has its own parking.",
    "Can you send me the invoice for March? My HSA needs it.",
    "Sorry, I had a family emergency and need to cancel today.",
    "The vending machine ran out of sparkling water.",
    "Great session today! Same time next week?",
    "Thank you for your payment.",
    "We're testing a new text reminder system this week, reply STOP to opt out.",
    "Please update your address in the portal.",
    "Appointments on the 24th are canceled due to the storm.",
    "I'll send the superbill once the claim is processed.",
    "We're switching billing companies, expect a new statement format.",
    "Staff: please don't park in the two spots by the dumpster.",
    "The office manager is depressed about the Eagles losing lol",
    "That meeting was so long I almost had a panic attack haha",
    "Your teletherapy session will use the same link as last week.",
    "If you're feeling sick, please let us know and we'll switch you to video.",
    "Thanks for letting us know about the address change!",
    "The hallway smells like burnt popcorn, someone killed the microwave.",
    "Hi Maya, quick reminder your appointment is Tuesday at 2.",
    "The new patient portal goes live Monday!",
    "Would you prefer morning or afternoon slots going forward?",
    "Please let me know if you need a receipt for your FSA.",
    "Our fax machine is down, please email documents instead.",
    "Parking lot repaving Friday - please use the street.",
    "Can you please reply to confirm your appointment?",
    "I'm sorry, I have to cancel today due to a family matter.",
    "The clinic's Wi-Fi name is QuietGuest.",
    "Please use the bell at the front door after 6pm.",
    "Hi! Your next session is booked for Feb 3 at 4:30pm.",
    "The bathroom key is on the blue keychain.",
    "Happy Thanksgiving, we're grateful for you!",
    "We accept Aetna, Cigna and BCBS.",
    "Thank you for the referral, we'll reach out to them this week.",
    "Our new address is 400 Main St, Suite 3.",
    "I'll be on vacation next week; Dr. Ray will cover urgent scheduling.",
    "Please don't bring food into the group room.",
    "Can you check if Room 2 has the HDMI cable?",
    "Your session will be video only on Thursday because of the snow.",
    "The parking attendant says the lot is full until noon.",
    "We've started a waitlist for evening appointments.",
    "Your late cancellation fee of $50 has been waived this time.",
    "The kitchen sink is clogged again.",
    "Remember the office closes at 3 on Christmas Eve.",
    "The elevator is being serviced, use the ramp on the left.",
    "My train is delayed, starting 10 min late.",
    "Friendly reminder that sessions are 50 minutes.",
    "Could you remind me of your date of birth for the insurance form?",
    "The payment link expires in 24 hours.",
    "The waiting room music is driving me nuts.",
    "Happy to help! Let me know if the new time doesn't work.",
    "Ugh the copier is possessed today.",
    "This week has been absolutely manic at the front desk.",
    "That's an insane amount of paperwork, I'll help you with it.",
    "Traffic is crazy, I'll be a bit late.",
    "The doctor's parking spots are for Dr. Kim and Dr. Lee only.",
    "Dr. Ahmed is the new psychiatrist joining in March, she'll have an office on 2.",
    "Med students from the university will be shadowing on Thursdays.",
    "Please restock the first aid kit; we're low on Band-Aids and Advil.",
    "Can you book the big room for the clinical supervision group?",
    "Thanks for being so flexible with the schedule change!",
    "The therapy room upstairs is free at 11 if you need it.",
    "I'm dying to try that new taco place.",
    "The holiday party is at 6; there will be wine and mocktails.",
    "Your telehealth link: please join 5 minutes early.",
    "The printer has been acting psychotic all day.",
    "The lobby plant looks so sad, it needs water.",
    "Sorry for the delay, our phones were down all morning.",
    "Reminder: the waiting room will be closed for cleaning from 12-1.",
    "I'm down at the front desk if you need me",
    "Pizza Friday? I'm down.",
    "The water level is getting high in the basement",
    "The kitchen has been clean since Monday",
    "Can you check which browser she's using?",
    "Please use pot holders in the kitchen",
    "Use speed dial 2 for the front desk",
    "Did Molly call back?",
    "We scored 10 new referrals this month",
    "Let's set goals for Q3 at the staff meeting",
    "Please bring your SMART goals to your annual review",
    "My brother hit me up about lunch",
    "Does the security guard have a gun?",
    "Some guy with a death wish cut me off, running late",
    "We plan to cut costs next quarter",
    "After two previous attempts to reach you, we are closing the referral",
    "I made an attempt to call you earlier",
    "I don't want to wake up early tomorrow lol",
    "He doesn't want to live with roommates anymore",
    "That commute was traumatizing",
    "Let's role-play the new phone greeting at the staff meeting",
    "Did you finish the homework for the CE course?",
    "Please check the facts before posting on the website",
    "There's an empty chair in the waiting room, grab it",
    "The rain should taper off by noon",
    "Mindfulness practice for staff in the break room at noon",
    "Thanks for sharing the article!",
    "The diagnostic report for the router is attached",
    "Can we talk about your family's schedule for next month?",
    "We have Nespresso capsules in the kitchen now",
    "She meets criteria for the sliding scale",
    "Your parts order arrived",
    "5 4 3 2 1 happy new year!",
    "I'm so depressed they closed the taco place",
    "I had the urge to quit when the printer jammed",
    "The portal was down this morning.",
    "The wifi is down again",
    "Sorry you're feeling down with the flu",
    "The printer looks low on toner",
    "Your balance is low",
    "My ADHD brain forgot the meeting lol",
    "Healthy paranoia about phishing emails is good!",
    "Our intake screener will call you this week",
    "Sobriety checkpoint on Main tonight, leave early",
    "Please don't smoke cigarettes by the door",
    "I'm so triggered by the new font lol",
    "Meet at 5150 Main St, suite 988 is on the left.",
    "The door code for Room F32 is 5150.",
    "Your balance of $296.30 is due Friday.",
    "National Depression Screening Day is next week: free community event in the lobby.",
    "Reminder: your appointment is tomorrow at 10am with Dr. Park.",
    "Our office will be closed Friday for a staff training day.",
    "Please complete the new client questionnaire before your first visit.",
    "Thank you for choosing our practice!",
    "Can you confirm if the 3pm slot still works?",
    "The waiting room is being painted, please check in at suite 104.",
    "Your next session has been moved to room 7.",
    "We've sent a new telehealth link to your email.",
    "Do you want me to mail a paper copy of your receipt?",
    "The front desk phone is forwarding to my cell today.",
    "Mental Health Awareness Month starts Monday, we'll put flyers in the waiting room.",
    "Dr. Ruiz is presenting on ADHD at the state conference, so her Friday is blocked.",
    "Can someone cover my 2pm intake? My kid is sick.",
    "The insurance portal is down, claims will go out tomorrow.",
    "She'll call you back after her last session at 6.",
    "Please don't forget to sign out when you leave the building.",
    "Heads up: the street is closed for the parade Saturday.",
    "I'm heading to the pharmacy on the corner for a snack, want anything?",
    "The drug store next door has a sale on tissues.",
    "Can you pick up some cough drops and coffee for the front desk?",
    "We moved the group to the larger room so everyone fits.",
    "The couch in room 2 has a stain, can we get it cleaned?",
    "We're hiring a part-time receptionist; spread the word.",
    "The alarm code changed, ask Jamie for the new one.",
    "Your bill from last month shows a $0 balance.",
    "Sorry, I missed your call, I was with a client.",
    "Let's touch base about the schedule on Monday.",
    "Thanks for your patience, we're running about 15 minutes behind.",
    "Reminder: masks are available at the front desk for anyone who wants one.",
]


@pytest.mark.parametrize(("text", "category"), CLINICAL)
def test_clinical_messages_are_flagged(text: str, category: str) -> None:
    result = assess_clinical(text)
    assert result.clinical, text
    assert category in result.categories, (text, result.categories)


@pytest.mark.parametrize("text", ISSUE_HARD_NEGATIVES + NOT_CLINICAL)
def test_logistics_and_everyday_senses_are_not_flagged(text: str) -> None:
    result = assess_clinical(text)
    assert not result.clinical, (text, _found(text, every_rule=True))
    assert result == ClinicalAssessment(False, (), ())


def test_examples_are_many_distinct_and_cover_every_category() -> None:
    texts = [t for t, _ in CLINICAL] + ISSUE_HARD_NEGATIVES + NOT_CLINICAL
    assert len(texts) >= 120
    assert len(set(texts)) == len(texts)
    for category in CATEGORIES:
        assert sum(c == category for _, c in CLINICAL) >= 10, category
    assert len(ISSUE_HARD_NEGATIVES + NOT_CLINICAL) >= len(CLINICAL) // 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "She's on 20mg of Lexapro and her PHQ-9 went from 19 to 12.",
            (MEDICATION, TESTS),
        ),
        (
            "Running late. Also, he relapsed and was hospitalized on Friday.",
            (RISK, SUBSTANCE),
        ),
        (
            "Her PTSD flashbacks are worse; let's update the treatment plan.",
            (DIAGNOSIS, SYMPTOMS, PLAN),
        ),
    ],
)
def test_several_categories_come_in_the_fixed_order(text: str, expected: tuple[str, ...]) -> None:
    result = assess_clinical(text)
    assert result.categories == expected
    assert result.reasons == tuple(REASONS[c] for c in expected)


def test_a_clinical_clause_in_a_logistics_message_is_found() -> None:
    logistics = "Your appointment moved to Tuesday at 3pm in Room 4, parking is in the back. "
    assert not assess_clinical(logistics).clinical
    assert assess_clinical(logistics + "Bring your thought log.").categories == (SESSION,)


def test_reasons_are_fixed_phrases_that_never_echo_the_message() -> None:
    fixed = {word for reason in REASONS.values() for word in reason.split()}
    for text, _ in CLINICAL:
        result = assess_clinical(text)
        assert result.reasons == tuple(REASONS[c] for c in result.categories)
        for reason in result.reasons:
            assert text.lower() not in reason.lower()
            for word in re.findall(r"[a-z0-9'.]+", text.lower()):
                if word not in fixed:
                    assert word not in reason.split(), (word, reason)


def test_reasons_never_name_the_drug_the_person_or_the_code() -> None:
    text = "Jordan Alvarez (DOB 03/14/1990): started Seroquel 300mg, dx F31.81, PHQ-9 was 23."
    result = assess_clinical(text)
    assert result.clinical
    joined = " ".join(result.reasons + result.categories).lower()
    for secret in ("jordan", "alvarez", "1990", "seroquel", "300", "f31", "phq", "23"):
        assert secret not in joined


def test_categories_and_reasons_come_from_the_fixed_lists() -> None:
    assert set(REASONS) == set(CATEGORIES)
    for text, _ in CLINICAL:
        result = assess_clinical(text)
        assert set(result.categories) <= set(CATEGORIES)
        assert list(result.categories) == sorted(result.categories, key=CATEGORIES.index)


def test_assessment_is_frozen_and_slotted() -> None:
    result = assess_clinical("See you at 3!")
    assert result == ClinicalAssessment(clinical=False, categories=(), reasons=())
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.clinical = True  # type: ignore[misc]
    assert not hasattr(result, "__dict__")


@pytest.mark.parametrize("text", ["", " ", "\n\t  \r\n", "\u200b", "...", "\U0001f642"])
def test_empty_or_blank_text_is_not_clinical(text: str) -> None:
    assert assess_clinical(text) == ClinicalAssessment(False, (), ())


@pytest.mark.parametrize(
    ("text", "clinical"),
    [
        ("Denies SI/HI at this time.", True),
        ("History of ADD, inattentive type.", True),
        ("WHERE DID YOU PARK? I AM OUTSIDE THE FRONT DOOR", False),
        ("Please ADD me to the staff list.", False),
        ("The new ERP system goes live Monday.", False),
        ("My ADHD brain forgot the meeting lol", False),
        ("She has ADHD, lol she told me herself", True),
    ],
)
def test_acronyms_and_jokes(text: str, clinical: bool) -> None:
    assert assess_clinical(text).clinical is clinical


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("He\u2019s  on   Zoloft", "he's on zoloft"),
        ("self-harm w/ u", "self harm with you"),
        ("tx plan & dx", "treatment plan and diagnosis"),
        ("PHQ-9 and F32.1", "phq-9 and f32.1"),
        ("line one\r\n  line two ", "line one\nline two"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


ADVERSARIAL = [
    "a" * 4000,
    "the " * 1000,
    "dose " * 800,
    "i " * 2000,
    "you talked " * 363,
    "my son is so " * 307 + "depressed",
    "f32.1 " * 666,
    "-" * 4000,
    "'s " * 1333,
    "1" * 4000,
    "ABC " * 1000,
    "SI/HI " * 666,
    ("safety plan for the " * 200)[:4000],
    ("we went over it in session " * 150)[:4000],
    ("(" * 2000) + (")" * 2000),
    "\u00e9" * 4000,
    ("lol my " * 600)[:4000],
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_long_adversarial_input_returns(text: str) -> None:
    assert len(text) <= 4100
    result = assess_clinical(text)  # finishing at all is the point; pytest-timeout guards it
    assert isinstance(result, ClinicalAssessment)


def test_long_input_is_assessed_to_the_end() -> None:
    filler = "Your appointment is Tuesday at 3pm in Room 4, parking is behind the building. "
    text = (filler * 60)[:3900]
    assert not assess_clinical(text).clinical
    assert assess_clinical(text + " He relapsed.").categories == (SUBSTANCE,)


def test_the_word_prefilter_changes_nothing() -> None:
    """Rules are skipped when none of their key words is in the message; the keys must cover
    every match, so running every rule regardless finds the same cues."""
    texts = [t for t, _ in CLINICAL] + ISSUE_HARD_NEGATIVES + NOT_CLINICAL
    texts += [" ".join(texts[i : i + 3]) for i in range(0, len(texts) - 3, 3)]
    for text in texts:
        with_prefilter = set(_found(text, every_rule=True))
        without = set(_found(text, every_rule=True, prefilter=False))
        assert with_prefilter == without, text


def _random_match(tree: Any, rnd: random.Random) -> str:
    """A random string built from a parsed pattern (look-arounds ignored, "a" for \\w)."""
    out: list[str] = []
    for op, av in tree:
        if op is sc.LITERAL:
            out.append(chr(av))
        elif op is sc.IN:
            choices = [
                chr(a)
                if o is sc.LITERAL
                else chr(rnd.randint(a[0], a[1]))
                if o is sc.RANGE
                else {sc.CATEGORY_DIGIT: "5", sc.CATEGORY_SPACE: " "}.get(a, "a")
                for o, a in av
                if o is not sc.NEGATE
            ]
            out.append(rnd.choice(choices) if choices else "a")
        elif op is sc.BRANCH:
            out.append(_random_match(rnd.choice(av[1]), rnd))
        elif op is sc.SUBPATTERN:
            out.append(_random_match(av[3], rnd))
        elif op in (sc.MAX_REPEAT, sc.MIN_REPEAT):
            low, high, sub = av
            count = rnd.randint(low, min(high, low + 2))
            out.extend(_random_match(sub, rnd) for _ in range(count))
        elif op in (sc.ANY, sc.NOT_LITERAL):
            out.append("a")
    return "".join(out)


def test_every_rule_match_contains_one_of_its_keys() -> None:
    """Random strings generated from each rule's own pattern: whenever one matches, the
    rule's keys must be among its words, or the prefilter would skip a real match. (A rule
    with a context requirement may key on the context instead: those are left to the
    example-based check above.)"""
    rnd = random.Random(16)
    gaps: dict[str, set[str]] = {}
    for rule in _RULES:
        if rule.needs is not None:
            continue
        tree = sre_parse.parse(rule.pattern.pattern)
        index = _Index([rule.keys])
        for _ in range(200):
            text = " " + _random_match(tree, rnd) + " "
            if rule.pattern.search(text) and not index.candidates(_word_set(_words(text))):
                gaps.setdefault(rule.name, set()).add(text.strip())
    assert not gaps, gaps
